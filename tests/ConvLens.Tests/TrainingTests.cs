using ConvLens.Explain;
using ConvLens.Data;
using ConvLens.Model;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens.Tests;

[Collection(TorchRandom.Name)]
public class TrainingTests
{
    static (IReadOnlyList<EpochResult> History, Evaluation Test) TrainSmall(int seed, int images = 2000, int epochs = 1)
    {
        using var pool = Shared.Mnist.Train.Take(images);
        using var test = Shared.Mnist.Test.Take(1000);
        using var model = new ConvNet(ConvNetSpec.Article, seed);
        var history = Trainer.Train(model, pool, new TrainingOptions { Epochs = epochs, Seed = seed });
        return (history, Trainer.Evaluate(model, test));
    }

    [Fact]
    public void One_short_epoch_learns_far_above_chance_and_reports_the_articles_four_numbers()
    {
        var reports = new List<TrainingProgress>();
        using var pool = Shared.Mnist.Train.Take(3000);
        using var model = new ConvNet();
        var history = Trainer.Train(model, pool, new TrainingOptions { Epochs = 2 }, new CallbackProgress<TrainingProgress>(reports.Add));

        Assert.Equal(2, history.Count);
        Assert.True(history[1].TrainLoss < history[0].TrainLoss);
        Assert.True(history[1].ValidationAccuracy > 0.8, $"validation accuracy {history[1].ValidationAccuracy}");
        // 3000 images → 2400 train / 600 validation → 19 batches of 128 per epoch, then one epoch report.
        Assert.Equal(2 * (19 + 1), reports.Count);
        Assert.Equal(history, reports.Where(r => r.Completed is not null).Select(r => r.Completed!));
    }

    [Fact]
    public void The_same_seed_gives_the_same_losses_and_another_seed_does_not()
    {
        var a = TrainSmall(seed: 7);
        var b = TrainSmall(seed: 7);
        var c = TrainSmall(seed: 8);
        Assert.Equal(a.History.Select(e => (e.TrainLoss, e.ValidationLoss)), b.History.Select(e => (e.TrainLoss, e.ValidationLoss)));
        Assert.Equal(a.Test.Predictions, b.Test.Predictions);
        Assert.NotEqual(a.History[0].TrainLoss, c.History[0].TrainLoss);
    }

    [Fact]
    public void Evaluate_counts_correct_predictions_and_averages_the_loss()
    {
        using var scope = NewDisposeScope();
        using var test = Shared.Mnist.Test.Take(300);
        using var model = new ConvNet(ConvNetSpec.Article, seed: 3);
        var result = Trainer.Evaluate(model, test, batchSize: 64);

        model.eval();
        var (x, y) = test.Batch(0, 300);
        var logits = model.call(x);
        Assert.Equal(nn.functional.cross_entropy(logits, y).item<float>(), result.Loss, 4);
        Assert.Equal(logits.argmax(1).to_type(ScalarType.Int32).data<int>().ToArray(), result.Predictions);
        Assert.Equal(result.Correct / 300.0, result.Accuracy);
        Assert.All(result.Confidences, p => Assert.InRange(p, 0.1f - 1e-6f, 1f));
    }

    [Theory]
    [InlineData(0, 128, 0.002, "Epochs must be at least 1")]
    [InlineData(1, 0, 0.002, "Batch size must be at least 1")]
    [InlineData(1, 128, -1, "Learning rate must be a positive number")]
    public void Nonsense_options_are_refused(int epochs, int batch, double lr, string message)
    {
        using var model = new ConvNet();
        var options = new TrainingOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr };
        Assert.Contains(message, Assert.Throws<ConvLensException>(() => Trainer.Train(model, Shared.Mnist.Train, options)).Message);
    }

    [Fact]
    public void Filter_snapshots_taken_between_batches_outlive_the_batch_and_differ()
    {
        // The trainer reports batches from inside its per-batch dispose scope; a snapshot kept from there must survive it.
        using var pool = Shared.Mnist.Train.Take(2000);   // 1600 training images: 13 batches of 128
        using var model = new ConvNet(ConvNetSpec.Article, seed: 4);
        using var history = new FilterHistory(model, "conv1", everyBatches: 5);
        Trainer.Train(model, pool, new TrainingOptions { Epochs = 1, Seed = 4 }, history);

        Assert.Equal(["before training", "epoch 1, batch 5", "epoch 1, batch 10", "after epoch 1"], history.Snapshots.Select(s => s.Label));
        var sums = history.Snapshots.Select(s => s.Weights.abs().sum().item<float>()).ToList();   // reading a disposed tensor throws
        Assert.All(sums, v => Assert.True(float.IsFinite(v) && v > 0));
        Assert.Equal(sums.Count, sums.Distinct().Count());   // the filters moved between snapshots
    }
}
