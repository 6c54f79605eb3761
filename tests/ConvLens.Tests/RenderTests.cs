namespace ConvLens.Tests;

/// <summary>The CLI's pages, rendered offline in headless Chromium and checked pixel by pixel.</summary>
public class RenderTests
{
    [SkippableFact]
    public void The_filters_page_of_the_shipped_checkpoint_renders_offline_with_the_diverging_colours()
    {
        Needs.Chromium();
        string output = Shared.TempFolder();
        var run = Shared.RunCli("filters", "--output", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var shot = Browser.Screenshot(Path.Combine(output, "filters.html"));
        Assert.True(shot.DistinctColours() > 200, $"only {shot.DistinctColours()} colours: the page looks blank");
        // Strong weights of both signs: the ends of the blue–white–red scale are on screen.
        Assert.True(shot.Count("#2166ac", 40) > 100, "no strong blue (negative weights)");
        Assert.True(shot.Count("#b2182b", 40) > 100, "no strong red (positive weights)");
    }

    [SkippableFact]
    public void The_feature_maps_page_of_training_image_4_renders_offline_with_the_digit_and_viridis_maps()
    {
        Needs.Chromium();
        string output = Shared.TempFolder();
        var run = Shared.RunCli("feature-maps", "--split", "train", "--index", "4", "--output", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("labelled 9", run.Stdout);
        var shot = Browser.Screenshot(Path.Combine(output, "feature-maps.html"));
        Assert.True(shot.Count("#000000", 10) > 200, "the digit's ink is missing");
        Assert.True(shot.Count("#440154", 30) > 200, "viridis's dark end is missing");
        Assert.True(shot.Count("#fde725", 40) > 20, "viridis's bright end is missing");
    }

    [SkippableFact]
    public void The_explain_page_of_the_articles_digit_renders_offline_with_attribution_over_the_digit()
    {
        Needs.Chromium();
        string output = Shared.TempFolder();
        var run = Shared.RunCli("explain", "--split", "train", "--index", "4", "--timings", "--output", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("The model predicts 9", run.Stdout);
        Assert.Matches(@"time  integrated gradients +\d+\.\d\d s", run.Stdout);
        var shot = Browser.Screenshot(Path.Combine(output, "explain.html"), 1100, 1500);
        Assert.True(shot.Count("#000000", 10) > 500, "the digit is missing");
        Assert.True(shot.Count("#dc1414", 40) > 300, "no strong red attribution on screen");
    }

    [Fact]
    public void The_errors_and_preferred_pages_are_written()
    {
        string output = Shared.TempFolder();
        var errors = Shared.RunCli("errors", "--output", output);
        Assert.True(errors.ExitCode == 0, errors.Stderr);
        // The numbers the sidecar recorded when the shipped checkpoint was trained and tested.
        var test = ConvLens.Checkpoints.Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Info.Test!;
        int mistakes = test.Count - (int)Math.Round(test.Accuracy * test.Count);
        Assert.Contains($"test accuracy {test.Accuracy:P2}, {mistakes} mistakes", errors.Stdout);
        var preferred = Shared.RunCli("preferred", "--steps", "10", "--output", output);
        Assert.True(preferred.ExitCode == 0, preferred.Stderr);
        string page = File.ReadAllText(Path.Combine(output, "preferred.html"));
        Assert.Contains("conv2: preferred inputs", page);
        Assert.Contains("Preferred input per class", page);
    }
}
