package flux2.examples.cli;

import flux2.examples.pretrain.Pretrain;
import flux2.tensor.io.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Pretrains the miniature FLUX.2 of the embedded example from nothing and writes its model folder. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain the miniature FLUX.2 (32x32 shapes): generate the dataset, train the VAE and measure its latent "
                + "batch-norm statistics, write the seeded text encoder and tokenizer, train the transformer (model_type full) "
                + "with the trainer, and write the model folder (BF16 safetensors in the diffusers layout).")
public final class ExamplePretrainCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Model folder to write (transformer/, vae/, text_encoder/, tokenizer/), e.g. examples/tiny/model.")
    Path out;

    @Option(names = "--work", paramLabel = "DIR", defaultValue = "output/pretrain", description = "Folder for the dataset, caches, checkpoints and validation images (default ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--images", defaultValue = "2400", description = "Training images (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--vae-steps", defaultValue = "1000", description = "VAE training steps (default ${DEFAULT-VALUE}).")
    int vaeSteps;

    @Option(names = "--vae-batch", defaultValue = "8", description = "Images per VAE step (default ${DEFAULT-VALUE}).")
    int vaeBatch;

    @Option(names = "--steps", defaultValue = "6000", description = "Transformer training steps; 0 with --continue-from keeps the "
            + "transformer (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "16", description = "Images per transformer step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Transformer learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--caption-dropout", defaultValue = "0.1", description = "Share of transformer samples trained on the empty prompt, "
            + "for classifier-free guidance (default ${DEFAULT-VALUE}).")
    double captionDropout;

    @Option(names = "--continue-from", paramLabel = "DIR", description = "A model folder to continue from: its VAE is kept and its "
            + "transformer trained further (the VAE training is skipped).")
    Path from;

    @Option(names = "--decoder-steps", defaultValue = "0", description = "Steps of decoder-only VAE training after the VAE is trained "
            + "or taken from --continue-from; the latents stay as they are (default ${DEFAULT-VALUE}).")
    int decoderSteps;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the data and both trainings (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (images < 24 || vaeSteps < 1 || vaeBatch < 1 || steps < 0 || steps == 0 && from == null || batch < 1 || !(lr > 0)
                || !(captionDropout >= 0 && captionDropout <= 1) || decoderSteps < 0) {
            System.err.println("error: --images must be at least 24 (one per colour and shape), --vae-steps, --vae-batch, --steps "
                    + "(0 only with --continue-from), --batch and --lr positive, --decoder-steps at least 0, and --caption-dropout from 0 to 1");
            return 2;
        }
        if (from != null && !(Files.isDirectory(from.resolve("vae")) && Files.isDirectory(from.resolve("transformer")))) {
            System.err.println("error: --continue-from " + from + " is not a model folder: it needs vae/ and transformer/");
            return 2;
        }
        Path model = Pretrain.run(work, new Pretrain.Options(images, vaeSteps, vaeBatch, Pretrain.Options.defaults().vaeLr(), steps, batch, lr, seed,
                captionDropout, decoderSteps), from, System.out);
        for (String part : new String[]{"transformer", "vae", "text_encoder", "tokenizer"}) replace(model.resolve(part), out.resolve(part));
        System.out.println("wrote " + out);
        return 0;
    }

    /** Copies a component folder next to its destination, then swaps it in. */
    private static void replace(Path from, Path to) throws Exception {
        Files.createDirectories(to.toAbsolutePath().getParent());
        Path tmp = to.toAbsolutePath().getParent().resolve("." + to.getFileName() + ".new");
        delete(tmp);
        Files.createDirectories(tmp);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) Files.copy(f, tmp.resolve(f.getFileName().toString()));
        }
        delete(to);
        AtomicFiles.move(tmp, to);
    }

    private static void delete(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
