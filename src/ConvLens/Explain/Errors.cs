using ConvLens.Training;

namespace ConvLens.Explain;

/// <summary>Where the network goes wrong: the confusion matrix and the misclassified images of an evaluation.</summary>
public static class Errors
{
    /// <summary>counts[true, predicted] over every image of <paramref name="evaluation"/>.</summary>
    public static int[,] ConfusionMatrix(Evaluation evaluation, int classes)
    {
        var counts = new int[classes, classes];
        for (int i = 0; i < evaluation.Count; i++)
            counts[evaluation.Labels[i], evaluation.Predictions[i]]++;
        return counts;
    }

    /// <summary>Accuracy of each class: the diagonal over the row sums (NaN for a class with no images).</summary>
    public static double[] PerClassAccuracy(int[,] confusion) =>
        Enumerable.Range(0, confusion.GetLength(0)).Select(k =>
        {
            int total = Enumerable.Range(0, confusion.GetLength(1)).Sum(p => confusion[k, p]);
            return total == 0 ? double.NaN : (double)confusion[k, k] / total;
        }).ToArray();

    /// <summary>Indices of the misclassified images, most confident mistakes first.</summary>
    public static IReadOnlyList<int> Misclassified(Evaluation evaluation) =>
        Enumerable.Range(0, evaluation.Count).Where(i => evaluation.Predictions[i] != evaluation.Labels[i])
            .OrderByDescending(i => evaluation.Confidences[i]).ToList();
}
