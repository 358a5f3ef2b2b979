package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.autograd.Var;
import flux2.model.flux2.FlowMatching;
import flux2.model.flux2.Latents;
import flux2.model.flux2.TokenIds;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.cache.Caches;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.Batch;
import flux2.trainer.data.TrainingData;
import flux2.examples.TinyEditProject;
import flux2.trainer.models.ModelParts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training with reference (edit) conditioning datasets on the tiny model. */
class EditTrainingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    private static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream()); }

    @Test
    void editRunCachesReferencesTrainsAndValidatesWithReferenceImages() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of("max_train_steps", 1));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(load(cfg), new PrintStream(log, true)).run();
        assertEquals(1, r.steps());
        assertTrue(Double.isFinite(r.lastLoss()));
        String text = log.toString();
        assertTrue(text.contains("conditioning dataset 'references' (reference_strict): 4 references paired with 'edits'"), text);
        assertTrue(text.contains("latent cache " + dir.resolve("output/cache/vae/references") + ": 0 of 4 images cached"), text);
        for (String name : List.of("magentasq", "magentacirc")) {
            Path png = dir.resolve("output/validation_images/step_1_" + name + "_0_32x32.png");
            assertEquals(32, ImageIO.read(png.toFile()).getWidth(), png.toString());
        }
        // the references enter the step: the same pairs without conditioning_data train other weights
        Path plain = dir.resolve("plain.json");
        ArrayNode backends = (ArrayNode) JSON.readTree(dir.resolve("multidatabackend.json").toFile());
        ((ObjectNode) backends.get(0)).remove("conditioning_data");
        backends.remove(1);
        JSON.writeValue(plain.toFile(), backends);
        new Trainer(load(cfg, "--data_backend_config", plain.toString(), "--output_dir", dir.resolve("t2i").toString(),
                "--user_prompt_library", "null"), quiet()).run();
        TreadTrainingTest.assertParams(dir.resolve("output"), dir.resolve("t2i"), false);
        // a second run finds every reference latent cached
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        new Trainer(load(cfg, "--output_dir", dir.resolve("again").toString(), "--user_prompt_library", "null"),
                new PrintStream(again, true)).run();
        assertTrue(again.toString().contains("latent cache " + dir.resolve("output/cache/vae/references") + ": 4 of 4 images cached"), again.toString());
        TreadTrainingTest.assertParams(dir.resolve("output"), dir.resolve("again"), true);
    }

    /** The edit project with a second, loose conditioning dataset over the same reference folder. */
    private Path twoReferenceSets() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        ArrayNode backends = (ArrayNode) JSON.readTree(dir.resolve("multidatabackend.json").toFile());
        ((ObjectNode) backends.get(0)).putArray("conditioning_data").add("references").add("loose");
        ObjectNode loose = ((ObjectNode) backends.get(1)).deepCopy();
        loose.put("id", "loose").put("conditioning_type", "reference_loose").put("resolution", 16).put("resolution_type", "pixel")
                .put("cache_dir_vae", dir.resolve("output/cache/vae/loose").toString());
        backends.insert(2, loose);
        JSON.writeValue(dir.resolve("multidatabackend.json").toFile(), backends);
        return cfg;
    }

    @Test
    void combinedSamplingAppendsEveryReferenceAndRandomOneSeededPerBatch() throws Exception {
        Path cfg = twoReferenceSets();
        TrainConfig combined = load(cfg), random = load(cfg, "--conditioning_multidataset_sampling", "random");
        TrainingData data = TrainingData.open(combined, 42, s -> {});
        Caches caches = Caches.of(combined, data);
        caches.build(combined, data, List.of(), quiet());
        try (TensorArena a = TensorArena.open("test")) {
            Batch batch = data.sampler().next();
            ReferenceTokens both = ReferenceTokens.of(batch, data.referencesOf("edits"), caches, TrainConfig.MultidatasetSampling.COMBINED, 42).getFirst();
            // a 32 px strict reference (2 x 2 tokens) at T = 10, then a 16 px loose one (1 x 1) at T = 20
            int channels = caches.latents("edits").get(batch.samples().getFirst().image()).size(0);
            assertArrayEquals(new int[]{1, 4 + 1, channels}, both.tokens().shape());
            assertEquals("2x2,1x1", both.shape());
            float[] ids = both.ids().toFloatArray();
            for (int k = 0; k < 5; k++) assertEquals(k < 4 ? 10 : 20, ids[4 * k], "T of reference token " + k);
            assertEquals(1, ids[4 * 3 + 1], "h of token 3 of the 2 x 2 grid");
            assertEquals(1, ids[4 * 3 + 2], "w of token 3 of the 2 x 2 grid");
            assertEquals(0, ids[4 * 4 + 1] + ids[4 * 4 + 2], "the loose reference's one token sits at (0, 0)");

            Set<String> drawn = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                Batch b = data.sampler().next();
                ReferenceTokens one = ReferenceTokens.of(b, data.referencesOf("edits"), caches, random.conditioning().multidatasetSampling(), 42).getFirst();
                assertEquals(one.shape(), ReferenceTokens.of(b, data.referencesOf("edits"), caches, TrainConfig.MultidatasetSampling.RANDOM, 42).getFirst().shape(), "seeded by the batch");
                assertEquals(10, one.ids().toFloatArray()[0], "the one reference is reference 0");
                drawn.add(one.shape());
            }
            assertEquals(Set.of("2x2", "1x1"), drawn, "both sets are drawn over 8 batches");
        }
    }

    @Test
    void referencePredictionsAreDroppedAndReferencesStayClean() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        TrainConfig c = load(cfg);
        TrainingData data = TrainingData.open(c, 42, s -> {});
        Caches caches = Caches.of(c, data);
        caches.build(c, data, List.of(), quiet());
        try (ModelParts.Transformer tr = ModelParts.transformer(c.model().location()); TensorArena a = TensorArena.open("test")) {
            Batch batch = data.sampler().next();
            ReferenceTokens ref = ReferenceTokens.of(batch, data.referencesOf("edits"), caches, TrainConfig.MultidatasetSampling.COMBINED, 42).getFirst();
            Tensor x0 = Latents.pack(caches.latents("edits").get(batch.samples().getFirst().image()).unsqueeze(0));
            Tensor ctx = caches.text().get(batch.samples().getFirst().caption()).unsqueeze(0);
            Rng rng = new Rng(1);
            Tensor noise = rng.normal(0, 1, x0.shape()), sigma = Tensor.of(new float[]{0.7f}, 1), g = Tensor.of(new float[]{1f}, 1);
            Tensor xt = FlowMatching.noisy(x0, noise, sigma);
            Var v = FlowMatching.predict(tr.model(), xt, TokenIds.image(1, 2, 2), ref.tokens(), ref.ids(), ctx, TokenIds.text(1, ctx.size(1)), sigma, g);
            assertArrayEquals(x0.shape(), v.shape(), "only the target tokens are predicted");
            // the loss of StepLoss is that of the prediction with the clean reference tokens appended
            double want = v.data().sub(FlowMatching.target(x0, noise)).square().mean().item();
            Var loss = StepLoss.of(tr.model(), xt, TokenIds.image(1, 2, 2), ctx, TokenIds.text(1, ctx.size(1)), sigma, g,
                    FlowMatching.target(x0, noise), List.of(ref), null);
            assertEquals(want, loss.data().item(), 1e-6 * want);
            Var without = StepLoss.of(tr.model(), xt, TokenIds.image(1, 2, 2), ctx, TokenIds.text(1, ctx.size(1)), sigma, g,
                    FlowMatching.target(x0, noise), null, null);
            assertNotEquals(want, without.data().item(), "the references change the prediction");

            // two samples whose references differ in size run as two groups; the loss is still the batch mean
            Tensor small = ref.tokens().narrow(1, 0, 1);
            ReferenceTokens other = new ReferenceTokens(small, TokenIds.reference(1, 0, 1, 1), "1x1");
            Tensor x2 = flux2.tensor.Layouts.concat(0, xt, xt.mul(0.5)), t2 = flux2.tensor.Layouts.concat(0, FlowMatching.target(x0, noise), x0);
            Tensor s2 = Tensor.of(new float[]{0.7f, 0.3f}, 2), g2 = Tensor.of(new float[]{1f, 1f}, 2);
            Tensor ctx2 = flux2.tensor.Layouts.concat(0, ctx, ctx);
            double batchLoss = StepLoss.of(tr.model(), x2, TokenIds.image(2, 2, 2), ctx2, TokenIds.text(2, ctx.size(1)), s2, g2, t2,
                    List.of(ref, other), null).data().item();
            double first = FlowMatching.loss(tr.model(), xt, TokenIds.image(1, 2, 2), ref.tokens(), ref.ids(), ctx, TokenIds.text(1, ctx.size(1)),
                    sigma, g, FlowMatching.target(x0, noise)).data().item();
            double second = FlowMatching.loss(tr.model(), xt.mul(0.5), TokenIds.image(1, 2, 2), small, other.ids(), ctx, TokenIds.text(1, ctx.size(1)),
                    Tensor.of(new float[]{0.3f}, 1), g, x0).data().item();
            assertEquals((first + second) / 2, batchLoss, 1e-6 * batchLoss);
        }
    }
}
