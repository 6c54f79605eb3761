using ConvLens.Data;

namespace ConvLens.Tests;

public class DataTests
{
    [Fact]
    public void Bundled_MNIST_has_60000_training_and_10000_test_images_and_training_image_4_is_a_9()
    {
        var mnist = Shared.Mnist;
        Assert.Equal((60000, 28, 28), (mnist.Train.Count, mnist.Train.Height, mnist.Train.Width));
        Assert.Equal(10000, mnist.Test.Count);
        Assert.Equal(9, mnist.Train.Label(4));            // the article's example digit
        Assert.Equal([5, 0, 4, 1, 9], Enumerable.Range(0, 5).Select(mnist.Train.Label));  // MNIST's well-known first labels
        Assert.Equal([7, 2, 1, 0, 4], Enumerable.Range(0, 5).Select(mnist.Test.Label));
    }

    [Fact]
    public void Batches_are_float_images_in_0_1_with_a_channel_axis()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (x, y) = Shared.Mnist.Train.Batch(0, 128);
        Assert.Equal([128L, 1, 28, 28], x.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, x.dtype);
        Assert.Equal(0f, x.min().item<float>());
        Assert.Equal(1f, x.max().item<float>());
        Assert.Equal([128L], y.shape);
    }

    [Fact]
    public void Finds_images_by_label()
    {
        var test = Shared.Mnist.Test;
        int first9 = test.IndexOfLabel(9);
        Assert.Equal(9, test.Label(first9));
        Assert.All(Enumerable.Range(0, first9), i => Assert.NotEqual(9, test.Label(i)));
        Assert.Contains("0 to 9", Assert.Throws<ConvLensException>(() => test.IndexOfLabel(10)).Message);
        Assert.Contains("0 to 9999", Assert.Throws<ConvLensException>(() => test.Image(10000)).Message);
    }

    [SkippableFact]
    public void Reads_Fashion_MNIST_from_the_Debian_package()
    {
        Needs.FashionMnist();
        using var fashion = Datasets.Load(Datasets.FashionMnist, limit: 100);
        Assert.Equal(100, fashion.Train.Count);
        Assert.Equal("Ankle boot", fashion.Train.Classes[fashion.Train.Label(0)]);  // Fashion-MNIST's first training image
    }

    [Fact]
    public void Fashion_MNIST_is_found_where_the_learner_put_its_four_files_and_a_missing_set_says_where_to_get_it()
    {
        // CONVLENS_FASHION_MNIST comes first; the search also covers data/fashion-mnist, Debian's folder and the home and Downloads folders.
        string folder = Shared.SmallIdxSet(20, gzip: true);
        string? before = Environment.GetEnvironmentVariable("CONVLENS_FASHION_MNIST");
        try
        {
            Environment.SetEnvironmentVariable("CONVLENS_FASHION_MNIST", folder);
            Assert.Equal(folder, Datasets.FashionMnistFolder());
            using var set = Datasets.Load(Datasets.FashionMnist);
            Assert.Equal(20, set.Train.Count);
            Assert.Equal("Ankle boot", set.Train.Classes[9]);
            Environment.SetEnvironmentVariable("CONVLENS_FASHION_MNIST", Shared.TempFolder());   // an empty folder is passed over
            Assert.NotEqual(Datasets.FashionMnistFolders()[0], Datasets.FashionMnistFolder());
        }
        finally { Environment.SetEnvironmentVariable("CONVLENS_FASHION_MNIST", before); }
        var places = Datasets.FashionMnistFolders();
        Assert.Contains(Path.Combine(Shared.RepositoryRoot, "data", "fashion-mnist"), places);
        Assert.Contains(Datasets.FashionMnistDebianFolder, places);
        string notebook = NotebookClaimsTests.NotebookSource("02-define-and-train");
        Assert.Contains("https://github.com/zalandoresearch/fashion-mnist", notebook);
        Assert.Contains("data/fashion-mnist", notebook);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_any_folder_of_IDX_files_raw_or_gzipped(bool gzip)
    {
        using var set = Datasets.Load(Datasets.Mnist, Shared.SmallIdxSet(20, gzip));
        Assert.Equal(20, set.Train.Count);
        Assert.Equal(3, set.Test.Label(13));
    }

    [Fact]
    public void Limit_takes_the_first_images()
    {
        using var set = Datasets.Load(Datasets.Mnist, limit: 50);
        Assert.Equal((50, 50), (set.Train.Count, set.Test.Count));
        Assert.Equal(9, set.Train.Label(4));
        // The first images of each split, not a sample.
        Assert.True(set.Train.Batch(0, 50).Images.eq(Shared.Mnist.Train.Batch(0, 50).Images).all().item<bool>());
        Assert.True(set.Test.Batch(0, 50).Images.eq(Shared.Mnist.Test.Batch(0, 50).Images).all().item<bool>());
    }

    static string LoadError(string folder, string name = Datasets.Mnist) =>
        Assert.Throws<ConvLensException>(() => Datasets.Load(name, folder)).Message;

    [Fact]
    public void A_missing_folder_is_named() =>
        Assert.Contains("/no/such/folder does not exist", LoadError("/no/such/folder"));

    [Fact]
    public void A_missing_file_is_named()
    {
        string folder = Shared.SmallIdxSet();
        File.Delete(Path.Combine(folder, "t10k-labels-idx1-ubyte"));
        Assert.Contains("has no t10k-labels-idx1-ubyte", LoadError(folder));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_file_is_reported_with_its_sizes(bool gzip)
    {
        string folder = Shared.SmallIdxSet(gzip: gzip);
        string file = Path.Combine(folder, "train-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var message = LoadError(folder);
        Assert.Contains(file, message);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void A_wrong_magic_number_is_reported()
    {
        string folder = Shared.SmallIdxSet();
        Shared.WriteIdx(Path.Combine(folder, "train-labels-idx1-ubyte"), [20], new byte[20], typeCode: 0x0D);  // floats, not bytes
        Assert.Contains("magic number is 0x00000d01", LoadError(folder));
    }

    [Fact]
    public void Image_and_label_counts_must_match() =>
        Assert.Contains("has 20 images but 19 labels", LoadError(Shared.SmallIdxSet(20, trainLabels: 19)));

    [Fact]
    public void Sums_that_do_not_match_are_reported_and_name_the_file()
    {
        string folder = Shared.TempFolder();
        foreach (var f in Directory.GetFiles(Datasets.BundledMnistFolder()))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        Shared.WriteIdx(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), [10000], new byte[10000]);
        var message = LoadError(folder);
        Assert.Contains("t10k-labels-idx1-ubyte.gz does not match its SHA-256", message);
    }

    [Fact]
    public void An_unknown_data_set_lists_the_known_ones() =>
        Assert.Contains("known: mnist, fashion-mnist", Assert.Throws<ConvLensException>(() => Datasets.Load("cifar10")).Message);
}
