package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir Path work;
    Path hfHome;

    /** The SimpleTuner example config flux2.peft-lora, written with leading "--" as the examples do. */
    static final String PEFT_LORA = """
            {
              "--base_model_precision": "int8-sdnq",
              "--checkpoint_step_interval": 10,
              "--controlnet": false,
              "--data_backend_config": "config/multidatabackend.json",
              "--disable_bucket_pruning": true,
              "--flow_schedule_shift": 3,
              "--fuse_qkv_projections": false,
              "--grad_clip_method": "value",
              "--gradient_checkpointing": true,
              "--hub_model_id": "simpletuner-flux2-peft-lora",
              "--learning_rate": 1e-4,
              "--lora_alpha": 16,
              "--lora_rank": 16,
              "--lora_type": "standard",
              "--lr_scheduler": "constant",
              "--max_train_steps": 100,
              "--mixed_precision": "bf16",
              "--model_family": "flux2",
              "--model_flavour": "dev",
              "--model_type": "lora",
              "--num_eval_images": 25,
              "--num_train_epochs": 0,
              "--optimizer": "adamw_bf16",
              "--output_dir": "output/models-flux2",
              "--push_checkpoints_to_hub": false,
              "--push_to_hub": false,
              "--quantize_via": "cpu",
              "--report_to": "none",
              "--sdnq_use_quantized_matmul": true,
              "--seed": 42,
              "--tracker_project_name": "lora-training",
              "--tracker_run_name": "example-training-run",
              "--train_batch_size": 1,
              "--use_ema": false,
              "--vae_batch_size": 1,
              "--validation_disable_unconditional": true,
              "--validation_guidance": 4.0,
              "--validation_guidance_rescale": 0.0,
              "--validation_negative_prompt": "blurry, cropped, ugly",
              "--validation_num_inference_steps": 16,
              "--validation_prompt": "a photo of a cat",
              "--validation_prompt_library": false,
              "--validation_resolution": "1024x1024",
              "--validation_seed": 42,
              "--validation_steps": 50
            }
            """;

    /** The quickstart's config.json (no leading "--"), with TREAD and the prompt library. */
    static final String QUICKSTART = """
            {
              "model_type": "lora",
              "model_family": "flux2",
              "model_flavour": "dev",
              "pretrained_model_name_or_path": "black-forest-labs/FLUX.2-dev",
              "output_dir": "/tmp/flux2-out",
              "train_batch_size": 1,
              "gradient_accumulation_steps": 1,
              "gradient_checkpointing": true,
              "mixed_precision": "bf16",
              "learning_rate": 1e-4,
              "lr_scheduler": "constant",
              "max_train_steps": 10000,
              "validation_resolution": "1024x1024",
              "validation_num_inference_steps": 20,
              "flux_guidance_mode": "constant",
              "flux_guidance_value": 1.0,
              "lora_rank": 16,
              "data_backend_config": "config/multidatabackend.json",
              "base_model_precision": "int8-quanto",
              "text_encoder_1_precision": "int8-quanto",
              "base_model_default_dtype": "bf16",
              "user_prompt_library": "config/user_prompt_library.json",
              "tread_config": {"routes": [{"selection_ratio": 0.5, "start_layer_idx": 2, "end_layer_idx": -2}]}
            }
            """;

    /** The quickstart's multidatabackend.json snippet. */
    static final String BACKENDS = """
            [
              {
                "id": "my-dataset",
                "type": "local",
                "crop": true,
                "crop_aspect": "square",
                "crop_style": "center",
                "resolution": 1024,
                "minimum_image_size": 1024,
                "maximum_image_size": 1024,
                "target_downsample_size": 1024,
                "resolution_type": "pixel_area",
                "cache_dir_vae": "cache/vae/flux2/my-dataset",
                "instance_data_dir": "datasets/my-dataset",
                "disabled": false,
                "skip_file_discovery": "",
                "caption_strategy": "textfile",
                "metadata_backend": "discovery",
                "repeats": 0
              },
              {
                "id": "text-embeds",
                "type": "local",
                "dataset_type": "text_embeds",
                "default": true,
                "cache_dir": "cache/text/flux2",
                "disabled": false,
                "write_batch_size": 128
              }
            ]
            """;

    @BeforeEach
    void setUp() throws IOException {
        hfHome = work.resolve("hf");
        Path repo = hfHome.resolve("hub/models--black-forest-labs--FLUX.2-dev");
        Path snap = repo.resolve("snapshots/0123abcd");
        makeDiffusersModel(snap);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "0123abcd");
        Files.createDirectories(work.resolve("datasets/my-dataset"));
        write("config/multidatabackend.json", BACKENDS);
        write("config/user_prompt_library.json", """
                {"cat": "a photo of a cat", "dog": {"prompt": "a dog", "adapter_strength": 0.5}}""");
    }

    static void makeDiffusersModel(Path root) throws IOException {
        for (String part : List.of("transformer", "vae", "text_encoder")) {
            Files.createDirectories(root.resolve(part));
            Files.writeString(root.resolve(part).resolve("model.safetensors"), "");
        }
        Files.createDirectories(root.resolve("tokenizer"));
        Files.writeString(root.resolve("tokenizer/tokenizer.json"), "{}");
    }

    Path write(String rel, String text) throws IOException {
        Path p = work.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    ConfigLoader loader() {
        return new ConfigLoader(work, Map.of("HF_HOME", hfHome.toString(), "HOME", work.resolve("home").toString()));
    }

    @Test
    void exampleConfigPeftLoraParsesWithUnsupportedKeysNamed() throws IOException {
        Path cfg = write("config/config.json", PEFT_LORA);
        TrainConfig c = loader().load(cfg, List.of());
        assertEquals(TrainConfig.ModelFlavour.DEV, c.model().flavour());
        assertEquals(WeightPrecision.INT8, c.model().baseModelPrecision());
        assertEquals(Training.OptimizerName.ADAMW, c.training().optimizer().name());
        assertEquals(1e-6, c.training().optimizer().epsilon());
        assertEquals(100, c.training().length().maxTrainSteps());
        assertEquals(50, c.validation().stepInterval(), "legacy validation_steps");
        assertEquals(10, c.checkpoints().stepInterval());
        assertEquals(List.of(new TrainConfig.Size(1024, 1024)), c.validation().resolutions());
        assertEquals(42L, c.seed());
        assertTrue(c.model().location().transformer().endsWith("snapshots/0123abcd/transformer"), c.model().location().toString());
        var warned = c.warnings().stream().map(ConfigProblem::key).toList();
        for (String k : List.of("controlnet", "fuse_qkv_projections", "hub_model_id", "num_eval_images", "push_to_hub", "quantize_via",
                "report_to", "sdnq_use_quantized_matmul", "tracker_project_name", "use_ema", "vae_batch_size",
                "validation_disable_unconditional", "validation_prompt_library", "optimizer", "base_model_precision"))
            assertTrue(warned.contains(k), k + " reported as unsupported: " + warned);
        // the dataset's unsupported keys are named too
        for (String k : List.of("maximum_image_size", "target_downsample_size", "skip_file_discovery"))
            assertTrue(warned.contains(k), k + " reported: " + warned);
        DatasetConfig d = c.imageDatasets().getFirst();
        assertEquals(DatasetConfig.CropStyle.CENTER, d.cropStyle());
        assertEquals(DatasetConfig.CaptionStrategy.TEXTFILE, d.captionStrategy());
        assertEquals(work.resolve("cache/text/flux2"), c.textEmbedDataset().cacheDir());
    }

    @Test
    void everySimpleTunerPrecisionWithoutAnImplementationIsRefusedByNameListingWhatIs() throws IOException {
        Path cfg = write("config/config.json", PEFT_LORA);
        for (String key : List.of("base_model_precision", "text_encoder_1_precision"))
            for (String p : List.of("fp8uz-quanto", "int2-quanto", "nf4-bnb", "int8-torchao",
                    "fp8-torchao", "nf4-torchao", "int4-torchao", "uint8-sdnq", "int16-sdnq", "fp8-transformerengine")) {
                ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of("--" + key, p)), p);
                assertContains(e.getMessage(), cfg + ": " + key + ": '" + p + "' is a SimpleTuner value this trainer does not implement; "
                        + "implemented: no_change, int8-quanto, int4-quanto, int8, int4, bf16, fp8-native, fp8-quanto, fp8wo-torchao, fp8");
            }
        // fp8 e4m3 under SimpleTuner's weight-only names is implemented
        for (String p : List.of("fp8-native", "fp8-quanto", "fp8wo-torchao")) {
            WeightPrecision w = loader().load(cfg, List.of("--base_model_precision", p)).model().baseModelPrecision();
            assertEquals(p, w.configName());
            assertEquals(flux2.quant.Precision.FP8, w.precision());
        }
    }

    @Test
    void quickstartConfigWithTreadAndPromptLibraryParses() throws IOException {
        Path cfg = write("config/config.json", QUICKSTART);
        TrainConfig c = loader().load(cfg, List.of());
        assertEquals(List.of(new flux2.model.flux2.tread.TreadConfig.Route(0.5, 2, -2)), c.conditioning().tread().routes(), "the quick start's route");
        assertTrue(c.warnings().stream().anyMatch(w -> w.key().equals("dog.adapter_strength")));
        assertEquals(List.of(new PromptEntry("cat", "a photo of a cat"), new PromptEntry("dog", "a dog")), c.promptLibrary());
        assertEquals(16, c.lora().rank());
        assertEquals(16.0, c.lora().alpha(), "alpha defaults to rank");
        assertEquals(0.1, c.lora().dropout());
        assertEquals(WeightPrecision.INT8_QUANTO, c.model().textEncoderPrecision());
    }

    @Test
    void defaultsAreSimpleTunersWhenKeysAreOmitted() throws IOException {
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "out",
                 "data_backend_config": "config/multidatabackend.json"}""");
        TrainConfig c = loader().load(cfg, List.of());
        var t = c.training();
        assertEquals(4, t.batches().size());
        assertEquals(4e-7, t.optimizer().learningRate());
        assertEquals(Training.Scheduler.CONSTANT_WITH_WARMUP, t.schedule().scheduler());
        assertEquals(2.0, t.clipping().maxGradNorm());
        assertEquals(Training.ClipMethod.VALUE, t.clipping().method());
        assertEquals(0, t.length().maxTrainSteps());
        assertEquals(1, t.length().numTrainEpochs());
        assertEquals(3.0, c.flow().scheduleShift());
        assertEquals(1.0, c.flow().sigmoidScale());
        assertEquals(TrainConfig.GuidanceMode.CONSTANT, c.flow().guidanceMode());
        assertEquals(1.0, c.flow().guidanceValue());
        assertEquals(500, c.checkpoints().stepInterval());
        assertEquals(5, c.checkpoints().totalLimit());
        assertEquals("latest", c.checkpoints().resumeFrom());
        assertEquals(100, c.validation().stepInterval());
        assertEquals(30, c.validation().numInferenceSteps());
        assertEquals(List.of(new TrainConfig.Size(256, 256)), c.validation().resolutions());
        assertNull(c.seed());
        assertEquals(TrainConfig.LoraTargetPreset.ALL, c.lora().targetPreset());
        assertEquals(work.resolve("cache/vae/flux2/my-dataset"), c.imageDatasets().getFirst().cacheDirVae());
        assertEquals(work.resolve("out"), c.outputDir());
    }

    @Test
    void numProcessesIsSimpleTunersKeyAndMustMatchTheLaunchersWorld() throws IOException {
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "out",
                 "data_backend_config": "config/multidatabackend.json"}""");
        assertEquals(1, loader().load(cfg, List.of()).training().batches().processes());
        TrainConfig three = loader().load(cfg, List.of("--num_processes", "3"));
        assertEquals(3, three.training().batches().processes());
        var env = flux2.tensor.collective.RankEnv.detect(Map.of("OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK", "0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> flux2.trainer.train.DataParallel.join(three, env, new java.io.PrintStream(java.io.OutputStream.nullOutputStream())));
        assertEquals(cfg + ": num_processes is 3 but mpirun started 2 ranks: set num_processes to 2 (or leave it out)", e.getMessage());
        ConfigException zero = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of("--num_processes", "0")));
        assertContains(zero.getMessage(), "num_processes: 0 is out of range: expected an integer from 1 to 1024");
    }

    @Test
    void everyBadInputIsReportedAtOnceNamingFileKeyAndAllowedValues() throws IOException {
        write("config/bad-backends.json", """
                [
                  {"id": "a", "type": "local", "instance_data_dir": "no/such/folder", "crop_style": "diagonal", "repeats": -1, "colour": 1},
                  {"id": "a", "type": "aws", "caption_strategy": "parquet"},
                  {"id": "t", "type": "local", "dataset_type": "sound"}
                ]""");
        write("config/prompts.json", """
                {"x": 3, "y": {"words": "z"}}""");
        Path cfg = write("config/config.json", """
                {
                  "model_type": "lora", "model_family": "flux2", "model_flavour": "dev",
                  "data_backend_config": "config/bad-backends.json",
                  "user_prompt_library": "config/prompts.json",
                  "learning_rte": 1e-4,
                  "train_batch_size": "four",
                  "lr_scheduler": "exponential",
                  "optimizer": "prodigy",
                  "base_model_precision": "int3",
                  "lora_type": "lycoris",
                  "resolution_type": "megapixels",
                  "gradient_checkpointing": 7,
                  "lora_rank": 0,
                  "validation_resolution": "big"
                }""");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()));
        String m = e.getMessage();
        String cfgName = cfg.toString();
        assertContains(m, cfgName + ": learning_rte: unknown key (did you mean learning_rate?)");
        assertContains(m, cfgName + ": output_dir: required key is missing");
        assertContains(m, cfgName + ": train_batch_size: wrong type: \"four\" is not an integer from 1 to 1024");
        assertContains(m, "lr_scheduler: 'exponential' is not allowed; allowed: constant, constant_with_warmup, linear, cosine, polynomial");
        assertContains(m, "optimizer: 'prodigy' is a SimpleTuner value this trainer does not implement; implemented: adamw");
        assertContains(m, "base_model_precision: 'int3' is not allowed; allowed: no_change, int8-quanto, int4-quanto, int8, int4, bf16, fp8-native, fp8-quanto, fp8wo-torchao, fp8");
        assertContains(m, "lora_type: 'lycoris' is a SimpleTuner value this trainer does not implement");
        assertContains(m, "resolution_type: 'megapixels' is not allowed; allowed: pixel, area, pixel_area");
        assertContains(m, "gradient_checkpointing: wrong type: 7 is not true or false");
        assertContains(m, "lora_rank: 0 is out of range: expected an integer from 1 to 4096");
        assertContains(m, "validation_resolution: 'big' is not a resolution");
        assertContains(m, "instance_data_dir: folder 'no/such/folder' does not exist (looked at " + work.resolve("no/such/folder"));
        assertContains(m, "crop_style: 'diagonal' is not allowed; allowed: random, center, centre, corner");
        assertContains(m, "repeats: -1 is out of range");
        assertContains(m, "colour: unknown key");
        assertContains(m, "id: duplicate dataset id 'a'");
        assertContains(m, "type: 'aws' is a SimpleTuner value this trainer does not implement; implemented: local");
        assertContains(m, "caption_strategy: 'parquet' is a SimpleTuner value this trainer does not implement");
        assertContains(m, "dataset_type: 'sound' is not allowed; allowed: image, text_embeds");
        assertContains(m, "prompts.json: x: wrong type: expected a prompt string");
        assertContains(m, "prompts.json: y.words: unknown field");
        assertTrue(e.problems().size() >= 21, e.getMessage());
    }

    @Test
    void trailingCommasOfSimpleTunersPublishedExamplesAreAccepted() throws IOException {
        // SimpleTuner's examples/flux2.peft-lora/config.json ends its object with a comma
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "out",
                 "data_backend_config": "config/multidatabackend.json", "seed": 42,
                }""");
        assertEquals(42, loader().load(cfg, List.of()).seed());
    }

    @Test
    void contentsGivenInPlaceOfAFileAreCheckedWithoutTouchingIt() throws IOException {
        String original = """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "out",
                 "data_backend_config": "config/multidatabackend.json", "seed": 42}""";
        Path cfg = write("config/config.json", original);
        Path backends = work.resolve("config/multidatabackend.json");
        String edit = original.replace("\"seed\": 42", "\"seed\": 7, \"lr_scheduler\": \"cosin\"");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().withContents(Map.of(cfg, edit)).load(cfg, List.of()));
        assertEquals("lr_scheduler", e.problems().getFirst().key());
        assertEquals(cfg.toString(), e.problems().getFirst().file());
        assertEquals(7, loader().withContents(Map.of(cfg, original.replace("42", "7"))).load(cfg, List.of()).seed());
        assertEquals(42, loader().load(cfg, List.of()).seed(), "the file itself is as it was");
        ConfigException list = assertThrows(ConfigException.class, () -> loader().withContents(Map.of(backends, "{}")).load(cfg, List.of()));
        assertContains(list.getMessage(), backends + ": expected a JSON list of datasets");
    }

    @Test
    void brokenJsonAndMissingFilesAreReported() throws IOException {
        Path cfg = write("config/config.json", "{\"model_type\": \"lora\",\n \"seed\": }");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()));
        assertContains(e.getMessage(), "not valid JSON at line 2");
        ConfigException missing = assertThrows(ConfigException.class, () -> loader().load(work.resolve("nope.json"), List.of()));
        assertContains(missing.getMessage(), "nope.json: file not found");
        Path cfg2 = write("config/c2.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "o",
                 "data_backend_config": "config/none.json", "user_prompt_library": "none.json"}""");
        ConfigException e2 = assertThrows(ConfigException.class, () -> loader().load(cfg2, List.of()));
        assertContains(e2.getMessage(), "data_backend_config: file 'config/none.json' does not exist");
        assertContains(e2.getMessage(), "user_prompt_library: file 'none.json' does not exist (looked at " + work.resolve("none.json") + " and " + work.resolve("config/none.json"));
    }

    @Test
    void missingFlavourExplainsSimpleTunersDefault() throws IOException {
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "output_dir": "o", "data_backend_config": "config/multidatabackend.json"}""");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()));
        assertContains(e.getMessage(), "model_flavour: not set; SimpleTuner's default for flux2 is klein-9b");
    }

    @Test
    void hubIdNotInCacheSaysWhereItLooked() throws IOException {
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "o",
                 "pretrained_model_name_or_path": "someone/other-model", "data_backend_config": "config/multidatabackend.json"}""");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()));
        assertContains(e.getMessage(), "'someone/other-model' is not a local path and is not in the Hugging Face cache");
        assertContains(e.getMessage(), hfHome.resolve("hub/models--someone--other-model") + "/snapshots/*");
        assertContains(e.getMessage(), work.resolve("home/.cache/huggingface/hub/models--someone--other-model").toString());
    }

    @Test
    void localFolderAndOfficialSingleFilesAreAccepted() throws IOException {
        makeDiffusersModel(work.resolve("models/flux2"));
        Files.writeString(write("models/flux2-dev.safetensors", ""), "");
        Files.writeString(write("models/ae.safetensors", ""), "");
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "o",
                 "pretrained_model_name_or_path": "models/flux2", "data_backend_config": "config/multidatabackend.json"}""");
        ModelLocation loc = loader().load(cfg, List.of()).model().location();
        assertEquals(work.resolve("models/flux2/vae"), loc.vae());
        assertEquals(work.resolve("models/flux2/tokenizer"), loc.tokenizer());
        TrainConfig single = loader().load(cfg, List.of("--pretrained_model_name_or_path", "models/flux2-dev.safetensors",
                "--pretrained_vae_model_name_or_path", "models/ae.safetensors",
                "--pretrained_text_encoder_model_name_or_path", "models/flux2"));
        assertEquals(work.resolve("models/flux2-dev.safetensors"), single.model().location().transformer());
        assertEquals(work.resolve("models/ae.safetensors"), single.model().location().vae());
        assertEquals(work.resolve("models/flux2/text_encoder"), single.model().location().textEncoder());
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg,
                List.of("--pretrained_model_name_or_path", "models/flux2-dev.safetensors")));
        assertContains(e.getMessage(), "pretrained_vae_model_name_or_path: no vae weights");
    }

    @Test
    void commandLineOverridesReplaceKeysHoweverSpelled() throws IOException {
        Path cfg = write("config/config.json", PEFT_LORA);
        TrainConfig c = loader().load(cfg, List.of("--learning_rate", "5e-5", "--seed=7", "--lr_scheduler", "cosine",
                "--validation_resolution", "512x768,256", "--peft_lora_target_modules", "[\"to_q\",\"to_k\"]"));
        assertEquals(5e-5, c.training().optimizer().learningRate());
        assertEquals(7L, c.seed());
        assertEquals(Training.Scheduler.COSINE, c.training().schedule().scheduler());
        assertEquals(List.of(new TrainConfig.Size(512, 768), new TrainConfig.Size(256, 256)), c.validation().resolutions());
        assertEquals(List.of("to_q", "to_k"), c.lora().targetModules());
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of("learning_rate", "1", "--lora_rank", "x")));
        assertContains(e.getMessage(), "command line: learning_rate: expected --key value");
        assertContains(e.getMessage(), "lora_rank: wrong type");
    }

    @Test
    void keyGivenWithAndWithoutDashesIsAnError() throws IOException {
        Path cfg = write("config/config.json", """
                {"model_type": "lora", "--model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "output_dir": "o",
                 "data_backend_config": "config/multidatabackend.json", "validation_steps": 5, "validation_step_interval": 6}""");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(cfg, List.of()));
        assertContains(e.getMessage(), "model_type: given twice (as model_type and --model_type)");
        assertContains(e.getMessage(), "validation_step_interval: given twice (as validation_steps and validation_step_interval)");
    }

    @Test
    void envNameSelectsConfigFolder() {
        ConfigLoader l = new ConfigLoader(work, Map.of("SIMPLETUNER_ENV", "fromenv"));
        assertEquals(work.resolve("config/config.json"), new ConfigLoader(work, Map.of()).locate(null, null));
        assertEquals(work.resolve("config/mine/config.json"), l.locate(null, "mine"));
        assertEquals(work.resolve("config/fromenv/config.json"), l.locate(null, null));
        assertEquals(work.resolve("x.json"), l.locate(Path.of("x.json"), "mine"));
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected «" + part + "» in:\n" + text);
    }
}
