package flux2.trainer.cli;

import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraReader;
import flux2.model.flux2.lora.LoraWeights;
import flux2.model.image.ImageFiles;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.ModelLocator;
import flux2.trainer.config.Problems;
import flux2.trainer.models.ModelParts;
import flux2.trainer.train.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates one image from a prompt with the base model and optional LoRA files. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Generate a PNG from a prompt with a FLUX.2 model (diffusers folder or Hugging Face cache) and optional LoRA files.")
public final class SampleCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "PATH", defaultValue = "black-forest-labs/FLUX.2-dev",
            description = "Model folder (transformer/, vae/, text_encoder/, tokenizer/) or hub id in the local cache (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--lora", paramLabel = "FILE", description = "A LoRA file (diffusers, ComfyUI or kohya layout); repeat to combine several.")
    List<Path> loras = new ArrayList<>();

    @Option(names = "--lora-scale", paramLabel = "S", defaultValue = "1.0", description = "Strength of every LoRA (default: ${DEFAULT-VALUE}).")
    double loraScale;

    @Option(names = "--width", defaultValue = "1024", description = "Width in pixels, a multiple of 16 (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "1024", description = "Height in pixels, a multiple of 16 (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--steps", defaultValue = "50", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "4.0", description = "Embedded guidance (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, defaultValue = "sample.png", paramLabel = "FILE", description = "PNG to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (width % 16 != 0 || height % 16 != 0 || width <= 0 || height <= 0)
            throw new IllegalArgumentException("--width and --height must be positive multiples of 16, got " + width + "x" + height);
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        for (Path l : loras) if (!Files.isRegularFile(l)) throw new IllegalArgumentException("LoRA file not found: " + l);
        Problems problems = new Problems();
        ModelLocation loc = new ModelLocator(Path.of("").toAbsolutePath(), System.getenv()).locate("--model", model, null, null, null, problems);
        if (problems.hasErrors()) throw new ConfigException(problems.errors());
        try (TensorArena keep = TensorArena.create("sample")) {
            Tensor ctx;
            try (ModelParts.TextEncoder te = ModelParts.textEncoder(loc); var s = keep.enter()) {
                ctx = te.embedder().encode(List.of(prompt)).promptEmbeds();
            }
            try (ModelParts.Transformer tr = ModelParts.transformer(loc); AutoEncoder vae = ModelParts.vae(loc);
                 TensorArena loraArena = TensorArena.create("sample-lora")) {
                if (!loras.isEmpty()) {
                    LoraFiles.attach(tr.model(), combined(loras, loraScale, loraArena), 0, 0, loraArena).setTraining(false);
                }
                try (var a = TensorArena.open("sample-image")) {
                    Tensor img = new Generator(tr.model(), vae).generate(ctx, width, height, steps, guidance, new Rng(seed));
                    if (output.toAbsolutePath().getParent() != null) Files.createDirectories(output.toAbsolutePath().getParent());
                    ImageFiles.writePng(img, output);
                }
            }
        }
        System.out.println("wrote " + output.toAbsolutePath());
        return 0;
    }

    /**
     * Several LoRA files as one adapter per module: A stacked, B side by side with each file's alpha / rank and the
     * strength folded in, alpha = total rank, so that the output is exactly the sum of the files' contributions.
     */
    static LoraWeights combined(List<Path> files, double strength, TensorArena arena) throws java.io.IOException {
        Map<String, List<LoraWeights.Adapter>> byModule = new LinkedHashMap<>();
        for (Path f : files)
            LoraReader.read(f, arena).adapters().forEach((name, ad) -> byModule.computeIfAbsent(name, k -> new ArrayList<>()).add(ad));
        Map<String, LoraWeights.Adapter> out = new LinkedHashMap<>();
        try (var s = arena.enter()) {
            byModule.forEach((name, list) -> {
                Tensor[] as = new Tensor[list.size()], bs = new Tensor[list.size()];
                int rank = 0;
                for (int i = 0; i < list.size(); i++) {
                    LoraWeights.Adapter ad = list.get(i);
                    as[i] = ad.a().to(DType.F32);
                    bs[i] = ad.b().to(DType.F32).mul(ad.scale() * strength);
                    rank += ad.rank();
                }
                out.put(name, new LoraWeights.Adapter(Layouts.concat(0, as), Layouts.concat(1, bs), rank));
            });
        }
        return new LoraWeights(out, DType.F32, 0, "true", Map.of());
    }
}
