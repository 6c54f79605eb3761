using System.Diagnostics;
using ConvLens.Data;
using ConvLens.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Training;

/// <summary>The article's settings by default: Adam, lr 0.002, batch 128, 10 epochs, 20 % of the training images held out for validation, seed 0.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.002;
    public int Seed { get; init; } = 0;
    public double ValidationFraction { get; init; } = 0.2;

    public TrainingOptions Validate()
    {
        if (Epochs < 1) throw new ConvLensException($"Epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 1) throw new ConvLensException($"Batch size must be at least 1, not {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ConvLensException($"Learning rate must be a positive number, not {LearningRate}.");
        if (ValidationFraction is <= 0 or >= 1) throw new ConvLensException($"The validation fraction must be between 0 and 1, not {ValidationFraction}.");
        return this;
    }
}

/// <summary>The article's four numbers for one epoch.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>One image's scores (logits, one per class) and their softmax probabilities; <see cref="Class"/> is the answer.</summary>
public sealed record Prediction(float[] Scores, float[] Probabilities)
{
    public int Class => Array.IndexOf(Probabilities, Probabilities.Max());
}

/// <summary>Where training is: a batch finished (<see cref="Completed"/> is null) or an epoch finished.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double RunningLoss, EpochResult? Completed = null)
{
    /// <summary>One line: the article's four numbers when an epoch finished, else where the epoch is.</summary>
    public override string ToString() => Completed is { } e
        ? $"epoch {e.Epoch,2}/{Epochs}  train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P2}  val loss {e.ValidationLoss:F4} acc {e.ValidationAccuracy:P2}  {e.Seconds:F1} s"
        : $"epoch {Epoch,2}/{Epochs}  batch {Batch}/{Batches}  loss {RunningLoss:F4}";
}

/// <summary>Loss and accuracy of a model on a set of images of <paramref name="Classes"/> classes, with every prediction and its softmax confidence.</summary>
public sealed record Evaluation(double Loss, double Accuracy, int[] Predictions, float[] Confidences, int[] Labels, int Classes)
{
    public int Count => Labels.Length;
    public int Correct => Predictions.Zip(Labels).Count(p => p.First == p.Second);

    /// <summary>counts[true, predicted] over every image.</summary>
    public int[,] ConfusionMatrix()
    {
        var counts = new int[Classes, Classes];
        for (int i = 0; i < Count; i++)
            counts[Labels[i], Predictions[i]]++;
        return counts;
    }

    /// <summary>Accuracy of each class: right answers over its images (NaN for a class with no images).</summary>
    public double[] PerClassAccuracy()
    {
        var counts = ConfusionMatrix();
        return Enumerable.Range(0, Classes).Select(k =>
        {
            int total = Enumerable.Range(0, Classes).Sum(p => counts[k, p]);
            return total == 0 ? double.NaN : (double)counts[k, k] / total;
        }).ToArray();
    }

    /// <summary>Indices of the misclassified images, most confident mistakes first.</summary>
    public IReadOnlyList<int> Misclassified() =>
        Enumerable.Range(0, Count).Where(i => Predictions[i] != Labels[i]).OrderByDescending(i => Confidences[i]).ToList();
}

public static class Trainer
{
    /// <summary>The device to train on: CUDA when the CUDA backend is referenced and a GPU is present, else the CPU.</summary>
    public static Device DefaultDevice => cuda.is_available() ? CUDA : CPU;

    static Device DeviceOf(ConvNet model) => model.parameters().First().device;

    // Data stays in main memory; each batch moves to the model's device (a no-op on the CPU).
    static (Tensor, Tensor) ToDevice((Tensor X, Tensor Y) batch, Device device) =>
        device.type == DeviceType.CPU ? batch : (batch.X.to(device), batch.Y.to(device));

    /// <summary>
    /// Trains <paramref name="model"/> on a random split of <paramref name="pool"/> (train / validation, by the seed),
    /// reporting each batch and epoch to <paramref name="progress"/>. Returns the epochs' results.
    /// </summary>
    public static IReadOnlyList<EpochResult> Train(ConvNet model, ImageSet pool, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        // Dropout draws from torch's global generator: seeded here, once, and held for the whole run.
        Seeding.Run(options.Seed, () => TrainSeeded(model, model.EnsureFits(pool), options.Validate(), progress, cancel));

    static List<EpochResult> TrainSeeded(ConvNet model, ImageSet pool, TrainingOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        using var schedule = new TrainingSchedule(pool.Count, options);
        using var optimizer = optim.Adam(model.parameters(), options.LearningRate);
        using var lossFunction = CrossEntropyLoss();
        int batches = schedule.Batches;
        var device = DeviceOf(model);
        var results = new List<EpochResult>();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.train();
            double lossSum = 0;
            long correct = 0, seen = 0;
            using var order = schedule.NextEpochOrder();
            for (int b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                // Every tensor made for this batch is freed at the end of it: memory stays flat across epochs.
                using var scope = NewDisposeScope();
                var (x, y) = ToDevice(pool.Batch(schedule.Batch(order, b)), device);
                optimizer.zero_grad();
                var logits = model.call(x);
                var loss = lossFunction.call(logits, y);
                loss.backward();
                optimizer.step();

                long n = y.shape[0];
                float batchLoss = loss.item<float>();
                if (!float.IsFinite(batchLoss) || batchLoss > DivergedLoss(logits.shape[1]))
                    throw new ConvLensException($"Training diverged at epoch {epoch}, batch {b + 1}: the loss reached {batchLoss:G3}. " +
                        $"Try a smaller learning rate than {options.LearningRate} (the article's is 0.002); nothing was saved.");
                lossSum += batchLoss * n;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += n;
                progress?.Report(new TrainingProgress(epoch, options.Epochs, b + 1, batches, lossSum / seen));
            }

            var validation = Evaluate(model, pool, schedule.ValidationIndices, cancel: cancel);
            var result = new EpochResult(epoch, lossSum / seen, (double)correct / seen, validation.Loss, validation.Accuracy, clock.Elapsed.TotalSeconds);
            results.Add(result);
            progress?.Report(new TrainingProgress(epoch, options.Epochs, batches, batches, result.TrainLoss, result));
        }
        return results;
    }

    /// <summary>
    /// A batch loss above this means training has blown up: a network that guesses uniformly scores ln(classes)
    /// (2.3 for ten), and no network that is learning gets a hundred times worse than guessing.
    /// </summary>
    static double DivergedLoss(long classes) => 100 * Math.Log(classes);

    /// <summary>What <paramref name="model"/> says about one image ([1, C, H, W] or [C, H, W]), in eval mode, without gradients.</summary>
    public static Prediction Predict(ConvNet model, Tensor image)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = model.call((image.dim() == 3 ? image.unsqueeze(0) : image).to(DeviceOf(model)))[0].cpu();
            return new Prediction(logits.data<float>().ToArray(), functional.softmax(logits, 0).data<float>().ToArray());
        }
        finally { model.train(wasTraining); }
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> on the whole of <paramref name="set"/> (the article's test step). Batches of 256:
    /// a batch's activations are held at once (conv1's output alone is 12 MiB for 256 images, 48 MiB for 1000), and with 1000 the run's peak
    /// memory was 700 MiB instead of 530 (measured with 'convlens train --json'), for no gain in time.
    /// </summary>
    public static Evaluation Evaluate(ConvNet model, ImageSet set, int batchSize = 256, CancellationToken cancel = default)
    {
        using var all = arange(set.Count, dtype: ScalarType.Int64);
        return Evaluate(model, set, all, batchSize, cancel);
    }

    /// <summary>Evaluates <paramref name="model"/> on the images of <paramref name="set"/> at <paramref name="indices"/>, in eval mode and without gradients.</summary>
    public static Evaluation Evaluate(ConvNet model, ImageSet set, Tensor indices, int batchSize = 256, CancellationToken cancel = default)
    {
        if (batchSize < 1) throw new ConvLensException($"Batch size must be at least 1, not {batchSize}.");
        model.EnsureFits(set);
        bool wasTraining = model.training;
        model.eval();
        int count = (int)indices.shape[0];
        var predictions = new int[count];
        var confidences = new float[count];
        var labels = new int[count];
        double lossSum = 0;
        using (no_grad())
        {
            for (int start = 0; start < count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (x, y) = ToDevice(set.Batch(indices[start..Math.Min(start + batchSize, count)]), DeviceOf(model));
                var logits = model.call(x);
                lossSum += functional.cross_entropy(logits, y, reduction: Reduction.Sum).item<float>();
                var (confidence, predicted) = functional.softmax(logits, 1).max(1);
                predicted.cpu().to_type(ScalarType.Int32).data<int>().CopyTo(predictions, start);
                confidence.cpu().data<float>().CopyTo(confidences, start);
                y.cpu().to_type(ScalarType.Int32).data<int>().CopyTo(labels, start);
            }
        }
        model.train(wasTraining);
        int correct = predictions.Zip(labels).Count(p => p.First == p.Second);
        return new Evaluation(lossSum / count, (double)correct / count, predictions, confidences, labels, set.Classes.Count);
    }
}

/// <summary>
/// How the trainer splits a pool of images and orders each epoch: a random split into training and validation images,
/// then a fresh random order of the training images each epoch, cut into batches. It has a generator of its own,
/// seeded by <see cref="TrainingOptions.Seed"/>, so the same seed gives the same batches wherever it is asked.
/// </summary>
public sealed class TrainingSchedule : IDisposable
{
    readonly Generator generator;
    readonly int batchSize;

    /// <summary>Indices into the pool of the images learned from.</summary>
    public Tensor TrainIndices { get; }
    /// <summary>Indices into the pool of the images held out to validate on.</summary>
    public Tensor ValidationIndices { get; }
    /// <summary>Batches per epoch (the last may be smaller).</summary>
    public int Batches { get; }

    public TrainingSchedule(int poolCount, TrainingOptions options)
    {
        options.Validate();
        int validation = (int)Math.Round(poolCount * options.ValidationFraction);
        if (validation < 1 || poolCount - validation < 1)
            throw new ConvLensException($"{poolCount} images are too few to split into training and validation.");
        generator = new Generator((ulong)options.Seed);
        batchSize = options.BatchSize;
        using var permutation = randperm(poolCount, generator: generator);
        TrainIndices = permutation[..(poolCount - validation)].clone().DetachFromDisposeScope();
        ValidationIndices = permutation[(poolCount - validation)..].clone().DetachFromDisposeScope();
        Batches = (int)((TrainIndices.shape[0] + batchSize - 1) / batchSize);
    }

    /// <summary>The next epoch's order: positions in <see cref="TrainIndices"/>, shuffled.</summary>
    public Tensor NextEpochOrder() => randperm(TrainIndices.shape[0], generator: generator);

    /// <summary>Pool indices of batch <paramref name="batch"/> (from 0) of an epoch in <paramref name="order"/>.</summary>
    public Tensor Batch(Tensor order, int batch)
    {
        if (batch < 0 || batch >= Batches) throw new ConvLensException($"Batch {batch} is out of range: an epoch has batches 0 to {Batches - 1}.");
        return TrainIndices.index_select(0, order[(batch * batchSize)..Math.Min((batch + 1) * batchSize, (int)order.shape[0])]);
    }

    public void Dispose()
    {
        TrainIndices.Dispose();
        ValidationIndices.Dispose();
        generator.Dispose();
    }
}
