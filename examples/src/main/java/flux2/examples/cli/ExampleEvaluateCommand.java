package flux2.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.io.AtomicFiles;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.TrainConfig;
import flux2.examples.eval.Evaluation;
import flux2.examples.eval.PromptScore;
import flux2.examples.eval.PromptTarget;
import flux2.examples.eval.SampleGrid;
import flux2.examples.eval.VaeRoundTrip;
import flux2.examples.shapes.Shapes;
import flux2.trainer.models.ModelParts;
import flux2.trainer.sample.ImageSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Measures how well a model of the shapes example draws what its prompts ask for, with and without a LoRA. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Sample the held-out colour/shape prompts and the new word of the shapes example and judge every image by pixel "
                + "statistics (dominant named colour, best shape template by mask IoU, the zorblax).",
                "Prints one JSON line per prompt and an overall line per model (\"base\", and \"lora\" with --lora) and writes them "
                        + "with the PNGs (DIR/base, DIR/lora) to DIR/evaluation.jsonl. Model, size, steps and guidance (embedded and classifier-free) come from the config."})
public final class ExampleEvaluateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The SimpleTuner config.json of the example (model and validation settings).")
    Path config;

    @Option(names = "--lora", paramLabel = "FILE", description = "A LoRA file: evaluate the base model and then the model with it (before/after).")
    Path lora;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt to evaluate; repeat for several (default: the held-out prompts and the new word).")
    List<String> prompts;

    @Option(names = "--count", paramLabel = "K", defaultValue = "10", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1000", description = "Seed of the first sample; the others follow (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--steps", description = "Sampling steps (default: the config's validation_num_inference_steps).")
    Integer steps;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the images and evaluation.jsonl.")
    Path out;

    @Option(names = "--grid", paramLabel = "FILE", description = "Also write a PNG grid: the new word and one prompt per shape, before and after the LoRA.")
    Path grid;

    @Option(names = "--vae-round-trip", description = "Also judge generator pictures of each prompt's target after a VAE encode and decode "
            + "(model \"vae_round_trip\"): how often the target can show at all through this VAE.")
    boolean vaeRoundTrip;

    @Option(names = "--grid-columns", paramLabel = "N", defaultValue = "4", description = "Samples per prompt and model in the grid (default: ${DEFAULT-VALUE}).")
    int gridColumns;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be at least 1, got " + count);
        if (gridColumns < 1) throw new IllegalArgumentException("--grid-columns must be at least 1, got " + gridColumns);
        if (lora != null && !Files.isRegularFile(lora)) throw new IllegalArgumentException("LoRA file not found: " + lora);
        TrainConfig cfg = ConfigLoader.standard().load(config, List.of());
        for (ConfigProblem w : cfg.warnings()) System.err.println("warning: " + w);
        TrainConfig.Validation v = cfg.validation();
        if (v.resolutions().isEmpty()) throw new IllegalArgumentException(config + ": validation_resolution is not set; the evaluation samples at that size");
        ImageSampler.Settings settings = new ImageSampler.Settings(v.resolutions().getFirst().width(), v.resolutions().getFirst().height(),
                steps != null ? steps : v.numInferenceSteps(), v.guidance(), v.guidanceReal(), v.negativePrompt(), v.noCfgUntilTimestep());
        List<String> ps = prompts != null ? prompts : defaultPrompts();
        List<String> encoded = ImageSampler.texts(ps, settings);

        List<String> lines = new ArrayList<>();
        List<String> variants = lora == null ? List.of("base") : List.of("base", "lora");
        List<Evaluation.Result> results = new ArrayList<>();
        for (String variant : variants) {
            List<Path> loras = variant.equals("lora") ? List.of(lora) : List.of();
            Evaluation.Result r;
            try (ImageSampler sampler = ImageSampler.open(cfg.model().location(), encoded, loras, 1.0, cfg.model().baseModelPrecision(),
                    cfg.model().textEncoderPrecision())) {
                r = Evaluation.run(sampler, ps, settings, seed, count, out.resolve(variant));
            }
            results.add(r);
            for (PromptScore s : r.scores()) lines.add(promptLine(variant, s));
            lines.add(overallLine(variant, r.scores()));
        }
        if (vaeRoundTrip) {
            try (AutoEncoder vae = ModelParts.vae(cfg.model().location())) {
                Evaluation.Result r = VaeRoundTrip.run(vae, ps, settings.width(), seed, count, out.resolve("vae_round_trip"));
                for (PromptScore s : r.scores()) lines.add(promptLine("vae_round_trip", s));
                lines.add(overallLine("vae_round_trip", r.scores()));
            }
        }
        for (String l : lines) System.out.println(l);
        Path jsonl = out.resolve("evaluation.jsonl");
        writeAtomically(jsonl, String.join("\n", lines) + "\n");
        System.err.println("wrote the images under " + out + " and " + jsonl);
        if (grid != null) {
            List<SampleGrid.Row> rows = new ArrayList<>();
            for (String p : gridPrompts(ps)) {
                List<List<java.awt.image.BufferedImage>> blocks = new ArrayList<>();
                for (Evaluation.Result r : results) blocks.add(r.images().get(p).subList(0, Math.min(gridColumns, count)));
                rows.add(new SampleGrid.Row(p, blocks));
            }
            SampleGrid.write(grid, lora == null ? List.of("base model") : List.of("before (base model)", "after (with the LoRA)"), rows);
            System.err.println("wrote " + grid);
        }
        return 0;
    }

    /** The held-out colour/shape prompts, then the new word. */
    static List<String> defaultPrompts() {
        List<String> out = new ArrayList<>(Shapes.heldOutPrompts());
        out.add(Shapes.newWordPrompt());
        return out;
    }

    /** The new-word prompts, then colour/shape prompts that each bring a colour and a shape not shown yet. */
    static List<String> gridPrompts(List<String> prompts) {
        List<String> out = new ArrayList<>();
        for (String p : prompts) if (PromptTarget.of(p).zorblax()) out.add(p);
        Set<Object> used = new HashSet<>();
        for (String p : prompts) {
            PromptTarget t = PromptTarget.of(p);
            if (t.zorblax() || t.color() == null || t.shape() == null || used.contains(t.color()) || used.contains(t.shape())) continue;
            used.add(t.color());
            used.add(t.shape());
            out.add(p);
        }
        if (out.isEmpty()) out.addAll(prompts.subList(0, Math.min(5, prompts.size())));
        return out;
    }

    private static String promptLine(String variant, PromptScore s) throws IOException {
        ObjectNode j = JSON.createObjectNode();
        j.put("model", variant);
        j.put("prompt", s.target().prompt());
        if (s.target().zorblax()) j.put("concept", Shapes.NEW_WORD);
        if (s.target().color() != null) j.put("color", s.target().color().word());
        if (s.target().shape() != null) j.put("shape", s.target().shape().word());
        j.put("samples", s.samples());
        j.put("recognised", s.recognised());
        number(j, "color_accuracy", s.colorAccuracy());
        number(j, "shape_accuracy", s.shapeAccuracy());
        number(j, "zorblax_rate", s.zorblaxRate());
        return JSON.writeValueAsString(j);
    }

    private static String overallLine(String variant, List<PromptScore> scores) throws IOException {
        List<PromptScore> plain = scores.stream().filter(s -> !s.target().zorblax()).toList();
        List<PromptScore> concept = scores.stream().filter(s -> s.target().zorblax()).toList();
        ObjectNode j = JSON.createObjectNode();
        j.put("model", variant);
        j.put("overall", true);
        j.put("prompts", plain.size());
        j.put("samples", plain.stream().mapToInt(PromptScore::samples).sum());
        number(j, "color_accuracy", Evaluation.mean(plain.stream().map(PromptScore::colorAccuracy).toList()));
        number(j, "shape_accuracy", Evaluation.mean(plain.stream().map(PromptScore::shapeAccuracy).toList()));
        number(j, "zorblax_rate_other_prompts", Evaluation.mean(plain.stream().map(PromptScore::zorblaxRate).toList()));
        number(j, "zorblax_rate_new_word", Evaluation.mean(concept.stream().map(PromptScore::zorblaxRate).toList()));
        return JSON.writeValueAsString(j);
    }

    /** Rounded to 4 decimals; null for NaN (JSON has no NaN): a prompt that does not name the part. */
    private static void number(ObjectNode j, String key, double v) {
        if (Double.isNaN(v)) j.putNull(key);
        else j.put(key, Math.round(v * 10000) / 10000.0);
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        AtomicFiles.writeString(abs, text);
    }
}
