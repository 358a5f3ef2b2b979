package flux2.examples.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.model.vae.VaeConfig;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.AtomicFiles;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyModel;
import flux2.examples.shapes.Shapes;
import flux2.trainer.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Pretrains the miniature FLUX.2 from nothing, in a work folder: writes the shapes dataset (PNG + caption files),
 * trains the VAE and measures its latent batch-norm statistics, writes the seeded text encoder and tokenizer and an
 * untrained transformer, then trains the transformer with model_type "full" through the {@link Trainer} (a
 * generated config.json and multidatabackend.json), and finally assembles the model folder with the trained
 * transformer in {@code <work>/model}.
 */
public final class Pretrain {
    private Pretrain() {}

    /**
     * What to run: sizes of the dataset and of both trainings, the seed of everything, the transformer's caption
     * dropout (the share of samples trained on the empty prompt, which classifier-free guidance needs), and steps of
     * decoder-only VAE training (at half the VAE learning rate), which sharpen decoded pictures without moving the
     * latents a trained transformer depends on. {@code steps} 0 leaves the transformer as it is.
     */
    public record Options(int images, int vaeSteps, int vaeBatch, double vaeLr, int steps, int batch, double lr, long seed,
                          double captionDropout, int decoderSteps) {
        /** The settings of a pretraining from nothing. */
        public static Options defaults() {
            return new Options(2400, 1000, 8, 2e-3, 6000, 16, 1e-3, 1, 0.1, 0);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Runs every stage into {@code work} (created if needed); returns the assembled model folder. */
    public static Path run(Path work, Options o, PrintStream log) throws IOException {
        return run(work, o, null, log);
    }

    /**
     * As {@link #run(Path, Options, PrintStream)}, or, when {@code from} names a model folder, continues from its VAE
     * (kept as it is: the transformer's latents depend on it) and transformer, training the transformer further.
     */
    public static Path run(Path work, Options o, Path from, PrintStream log) throws IOException {
        Path model = work.resolve("model");
        Path data = work.resolve("data");
        long t0 = System.nanoTime();
        log.println("writing " + o.images() + " training images to " + data);
        Shapes.write(data, "img", Shapes.scenes(o.seed(), o.images()), MiniModel.IMAGE_SIZE);
        if (from != null) {
            log.println("continuing from " + from + " (its VAE and transformer)");
            for (String part : new String[]{"vae", "transformer"}) {
                deleteTree(model.resolve(part));
                Files.createDirectories(model);
                copyTree(from.resolve(part), model.resolve(part));
            }
        } else trainVae(model, o, log);
        if (o.decoderSteps() > 0) trainDecoder(model.resolve("vae"), o, log);
        TinyModel.writeTextEncoder(model.resolve("text_encoder"), new Rng(TinyModel.TEXT_ENCODER_SEED));
        TinyModel.writeTokenizer(model.resolve("tokenizer"));
        if (from == null) MiniModel.writeInitialTransformer(MiniModel.transformerConfig(), model.resolve("transformer"), initSeed(o));
        if (o.steps() == 0) {
            log.printf(java.util.Locale.ROOT, "done in %.1f min (transformer unchanged); model at %s%n", (System.nanoTime() - t0) / 60e9, model);
            return model;
        }

        Path cfg = writeConfig(work, o);
        log.println("training the transformer (model_type full, " + o.steps() + " steps of " + o.batch() + ") with " + cfg);
        TrainConfig c = new ConfigLoader(Path.of("").toAbsolutePath(), Map.of()).load(cfg, List.of());
        Trainer.Result r = new Trainer(c, log).run();
        Path tmp = model.resolve(".transformer.trained");
        copyTree(r.loraFile(), tmp);
        deleteTree(model.resolve("transformer"));
        AtomicFiles.move(tmp, model.resolve("transformer"));
        log.printf(java.util.Locale.ROOT, "done in %.1f min: last loss %.4f; model at %s%n", (System.nanoTime() - t0) / 60e9, r.lastLoss(), model);
        return model;
    }

    /** Trains the VAE, measures its latent batch-norm statistics and writes it under {@code model/vae}. */
    private static void trainVae(Path model, Options o, PrintStream log) throws IOException {
        log.println("training the VAE (" + o.vaeSteps() + " steps of " + o.vaeBatch() + " images)");
        VaeConfig vc = MiniModel.vaeConfig();
        try (TensorArena a = TensorArena.open("mini-vae")) {
            var net = VaeTraining.create(vc, o.seed() + 1, a);
            VaeTraining.Result r = VaeTraining.train(net, MiniModel.IMAGE_SIZE, o.vaeSteps(), o.vaeBatch(), o.vaeLr(), o.seed() + 2, log::println);
            log.printf(java.util.Locale.ROOT, "VAE reconstruction MSE %.5f -> %.5f in %.0f s%n", r.firstLoss(), r.lastLoss(), r.seconds());
            var bn = VaeTraining.batchNormStats(net, VaeTraining.scenes(o.seed() + 3, 1024), MiniModel.IMAGE_SIZE, 32);
            TinyModel.writeVaeFolder(model.resolve("vae"), vc, VaeTraining.weights(net, bn, DType.BF16));
        }
    }

    /**
     * Trains the decoder of the VAE folder {@code vae} further on fresh images (the encoder and the batch-norm
     * statistics stay as they are, so the latents do not change) and writes it back.
     */
    private static void trainDecoder(Path vae, Options o, PrintStream log) throws IOException {
        log.println("training the VAE decoder (" + o.decoderSteps() + " steps of " + o.vaeBatch() + " images)");
        VaeConfig vc = MiniModel.vaeConfig();
        try (TensorArena a = TensorArena.open("mini-vae-decoder")) {
            var net = VaeTraining.create(vc, o.seed() + 1, a);
            Tensor[] bn = VaeTraining.load(net, vae);
            // images the VAE training never drew
            VaeTraining.Result r = VaeTraining.train(net, VaeTraining::isDecoder, MiniModel.IMAGE_SIZE, o.decoderSteps(), o.vaeBatch(),
                    o.vaeLr() / 2, o.seed() + 5, log::println);
            log.printf(java.util.Locale.ROOT, "VAE decoder reconstruction MSE %.5f -> %.5f in %.0f s%n", r.firstLoss(), r.lastLoss(), r.seconds());
            Path tmp = vae.resolveSibling(".vae.decoder");
            deleteTree(tmp);
            TinyModel.writeVaeFolder(tmp, vc, VaeTraining.weights(net, bn, DType.BF16));
            deleteTree(vae);
            AtomicFiles.move(tmp, vae);
        }
    }

    /** The seed of the untrained transformer's weights. */
    static long initSeed(Options o) { return o.seed() + 4; }

    /** The config.json (and multidatabackend.json, prompt library) of the transformer training; returns its path. */
    static Path writeConfig(Path work, Options o) throws IOException {
        Path out = work.resolve("run");
        ArrayNode backends = JSON.createArrayNode();
        ObjectNode ds = backends.addObject();
        ds.put("id", "shapes");
        ds.put("type", "local");
        ds.put("instance_data_dir", work.resolve("data").toString());
        ds.put("caption_strategy", "textfile");
        ds.put("resolution", MiniModel.IMAGE_SIZE);
        ds.put("resolution_type", "pixel");
        ds.put("minimum_image_size", MiniModel.IMAGE_SIZE);
        ds.put("cache_dir_vae", out.resolve("cache/vae").toString());
        ObjectNode te = backends.addObject();
        te.put("id", "text-embeds");
        te.put("type", "local");
        te.put("dataset_type", "text_embeds");
        te.put("default", true);
        te.put("cache_dir", out.resolve("cache/text").toString());
        JSON.writeValue(work.resolve("multidatabackend.json").toFile(), backends);
        ObjectNode lib = JSON.createObjectNode();
        lib.put("greentri", "a green triangle on a white background");
        lib.put("bluestar", "a blue star on a white background");
        lib.put("yellowsq", "a yellow square on a white background");
        JSON.writeValue(work.resolve("user_prompt_library.json").toFile(), lib);

        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "full");
        c.put("model_family", "flux2");
        c.put("model_flavour", "dev");
        c.put("pretrained_model_name_or_path", work.resolve("model").toString());
        c.put("output_dir", out.toString());
        c.put("data_backend_config", work.resolve("multidatabackend.json").toString());
        c.put("user_prompt_library", work.resolve("user_prompt_library.json").toString());
        c.put("train_batch_size", o.batch());
        c.put("learning_rate", o.lr());
        c.put("lr_scheduler", "cosine");
        c.put("lr_warmup_steps", Math.min(100, o.steps() / 10));
        c.put("max_train_steps", o.steps());
        c.put("max_grad_norm", 1.0);
        c.put("caption_dropout_probability", o.captionDropout());
        // activations of so small a model are cheap to keep: recomputing them would only cost time
        c.put("gradient_checkpointing", false);
        c.put("seed", o.seed());
        // the miniature is no guidance-distilled model: guidance values over the sampling range are seen in training
        c.put("flux_guidance_mode", "random-range");
        c.put("flux_guidance_min", 1.0);
        c.put("flux_guidance_max", 5.0);
        // sigmas shifted for the image's token count, as the sampler shifts its schedule
        c.put("flow_schedule_shift", 0.0);
        c.put("flow_schedule_auto_shift", true);
        c.put("checkpoint_step_interval", Math.max(1, o.steps() / 8));
        c.put("checkpoints_total_limit", 1);
        c.put("validation_step_interval", Math.max(1, o.steps() / 4));
        c.put("validation_prompt", "a red circle on a white background");
        c.put("validation_resolution", MiniModel.IMAGE_SIZE + "x" + MiniModel.IMAGE_SIZE);
        c.put("validation_num_inference_steps", 20);
        c.put("validation_guidance", 4.0);
        c.put("validation_seed", 3);
        Path cfg = work.resolve("config.json");
        JSON.writeValue(cfg.toFile(), c);
        return cfg;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        deleteTree(to);
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
