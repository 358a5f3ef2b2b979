package flux2.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.DeviceSpec;
import flux2.tensor.io.NotUtf8Exception;
import flux2.tensor.io.Utf8Files;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.DatasetType;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a SimpleTuner training configuration (config.json, the multidatabackend.json it names, and
 * user_prompt_library.json) plus command-line overrides, before any model or data is loaded. Every problem in every
 * file is reported in one {@link ConfigException}; keys SimpleTuner accepts but this trainer ignores are warnings.
 */
public final class ConfigLoader {
    private static final ObjectMapper JSON = ConfigJson.MAPPER;
    /** The largest area resolution: a square of the largest edge, in megapixels (67.108864). */
    private static final double MAX_MEGAPIXELS = (double) Limits.MAX_EDGE * Limits.MAX_EDGE / 1e6;

    private final Path workDir;
    private final Map<String, String> env;
    private Map<Path, String> pending = Map.of();

    /** A loader resolving relative paths against {@code workDir}; {@code env} supplies SIMPLETUNER_ENV and the HF_* cache variables. */
    public ConfigLoader(Path workDir, Map<String, String> env) {
        this.workDir = workDir.toAbsolutePath().normalize();
        this.env = Map.copyOf(env);
    }

    /**
     * This loader, reading {@code contents} in place of the files at those paths (absolute, normalized): checks an
     * edit of config.json, multidatabackend.json or user_prompt_library.json before it is saved.
     */
    public ConfigLoader withContents(Map<Path, String> contents) {
        ConfigLoader l = new ConfigLoader(workDir, env);
        l.pending = Map.copyOf(contents);
        return l;
    }

    /** A loader for the current working directory and process environment. */
    public static ConfigLoader standard() {
        return new ConfigLoader(Path.of(""), System.getenv());
    }

    /**
     * The config.json to read: {@code explicit} when given (--config), else config/NAME/config.json for
     * {@code envName} (--env) or SIMPLETUNER_ENV, else config/config.json, as SimpleTuner does.
     */
    public Path locate(Path explicit, String envName) {
        if (explicit != null) return workDir.resolve(explicit).normalize();
        String name = envName != null ? envName : env.get("SIMPLETUNER_ENV");
        return name != null && !name.isBlank() ? workDir.resolve("config").resolve(name).resolve("config.json")
                : workDir.resolve("config").resolve("config.json");
    }

    /** Loads and validates {@code configFile} with {@code overrides} ("--key value" pairs); throws {@link ConfigException}. */
    public TrainConfig load(Path configFile, List<String> overrides) {
        Problems problems = new Problems();
        Path file = workDir.resolve(configFile).normalize();
        String name = file.toString();
        JsonNode root = readJson(file, problems);
        problems.throwIfErrors(); // nothing else can be checked without config.json
        if (!root.isObject()) {
            problems.error(name, "", "expected a JSON object of settings");
            problems.throwIfErrors();
        }
        Overrides.apply((ObjectNode) root, overrides, problems);
        Settings s = Settings.read(name, root, ConfigKeys.TABLE, problems);
        Path configDir = file.getParent();

        TrainConfig.Model model = model(name, s, problems);
        Path outputDir = s.string("output_dir") == null ? null : ConfigPaths.outputFolder(workDir, s.string("output_dir"), name, "output_dir", problems);
        List<DatasetConfig> datasets = s.string("data_backend_config") == null ? List.of()
                : datasets(name, s, configDir, outputDir, problems);
        List<PromptEntry> prompts = List.of();
        if (s.string("user_prompt_library") != null) {
            Path lib = ConfigPaths.existing(workDir, configDir, s.string("user_prompt_library"), false, name, "user_prompt_library", problems);
            if (lib != null) {
                JsonNode libRoot = readJson(lib, problems);
                if (libRoot != null) prompts = PromptLibrary.read(lib.toString(), libRoot, workDir, lib.getParent(), problems);
            }
        }
        TrainConfig.Training training = training(name, s, problems);
        TrainConfig.Flow flow = flow(name, s, problems);
        TrainConfig.Lora lora = lora(name, s, configDir, problems);
        TrainConfig.Checkpoints checkpoints = new TrainConfig.Checkpoints(
                s.int32("checkpoint_step_interval"), s.int32("checkpoints_total_limit"), s.string("resume_from_checkpoint"));
        TrainConfig.Validation validation = new TrainConfig.Validation(s.int32("validation_step_interval"),
                s.string("validation_prompt"), resolutions(name, s.string("validation_resolution"), problems),
                s.int32("validation_num_inference_steps"), s.number("validation_guidance"), s.integer("validation_seed"),
                s.string("validation_negative_prompt"), s.int32("num_validation_images"),
                s.bool("validation_on_startup"), s.number("validation_guidance_real"), s.int32("validation_no_cfg_until_timestep"));
        TrainConfig.Conditioning conditioning = new TrainConfig.Conditioning(TreadConfigReader.read(name, s.json("tread_config"), problems),
                s.string("conditioning_multidataset_sampling"));
        problems.throwIfErrors();
        return new TrainConfig(file, outputDir, s.integer("seed"), model, training, flow, lora, checkpoints, validation,
                datasets, prompts, problems.warnings(), conditioning);
    }

    private TrainConfig.Model model(String file, Settings s, Problems problems) {
        if (!s.isSet("model_flavour"))
            problems.error(file, "model_flavour", "not set; SimpleTuner's default for flux2 is klein-9b, which this trainer does not implement: set \"model_flavour\": \"dev\"");
        String flavour = s.isSet("model_flavour") ? s.string("model_flavour") : null;
        String source = s.string("pretrained_model_name_or_path");
        if (source == null && flavour != null) source = ModelLocator.DEFAULT_REPOS.get(flavour);
        ModelLocation loc = flavour == null ? null : new ModelLocator(workDir, env).locate(file, source,
                s.string("pretrained_transformer_model_name_or_path"), s.string("pretrained_vae_model_name_or_path"),
                s.string("pretrained_text_encoder_model_name_or_path"), problems);
        if ("full".equals(s.string("model_type")) && !"no_change".equals(s.string("base_model_precision")))
            problems.error(file, "base_model_precision", "'" + s.string("base_model_precision")
                    + "' quantizes the weights that model_type \"full\" trains: use \"no_change\" for full training");
        DeviceSpec device = DeviceSpec.parse("cpu");
        try {
            device = DeviceSpec.parse(s.string("device"));
        } catch (IllegalArgumentException e) {
            problems.error(file, "device", e.getMessage());
        }
        return new TrainConfig.Model(s.string("model_family"), flavour, loc, s.string("base_model_precision"),
                s.string("text_encoder_1_precision"), s.string("base_model_default_dtype"), s.string("mixed_precision"),
                s.string("model_type"), device);
    }

    private static TrainConfig.Training training(String file, Settings s, Problems problems) {
        long steps = s.integer("max_train_steps") == null ? 0 : s.integer("max_train_steps");
        int epochs = s.int32("num_train_epochs");
        if (steps == 0 && epochs == 0)
            problems.error(file, "max_train_steps", "max_train_steps and num_train_epochs are both 0: set one of them");
        // adamw_bf16's registered defaults (spec section 7) unless torch AdamW was asked for by name
        boolean torchAdamW = "adamw".equals(s.written("optimizer"));
        double b1 = s.number("optimizer_beta1") != null ? s.number("optimizer_beta1") : 0.9;
        double b2 = s.number("optimizer_beta2") != null ? s.number("optimizer_beta2") : 0.999;
        for (var e : Map.of("optimizer_beta1", b1, "optimizer_beta2", b2).entrySet())
            if (e.getValue() < 0 || e.getValue() >= 1) problems.error(file, e.getKey(), e.getValue() + " is out of range: expected 0 <= beta < 1");
        double dropout = s.number("caption_dropout_probability");
        return new TrainConfig.Training(s.int32("train_batch_size"), s.int32("gradient_accumulation_steps"),
                s.bool("gradient_checkpointing"), s.number("learning_rate"), s.string("lr_scheduler"),
                s.int32("lr_warmup_steps"), s.number("lr_end"), s.number("lr_power"), steps, epochs,
                s.number("max_grad_norm"), s.string("grad_clip_method"), s.string("optimizer"), b1, b2, 1e-2,
                torchAdamW ? 1e-8 : 1e-6, s.string("loss_type"), dropout);
    }

    private static TrainConfig.Flow flow(String file, Settings s, Problems problems) {
        if (s.bool("flow_use_uniform_schedule") && s.bool("flow_use_beta_schedule"))
            problems.error(file, "flow_use_beta_schedule", "flow_use_uniform_schedule and flow_use_beta_schedule are both true: choose one");
        double min = s.number("flux_guidance_min"), max = s.number("flux_guidance_max");
        if (s.string("flux_guidance_mode").equals("random-range") && min > max)
            problems.error(file, "flux_guidance_min", "flux_guidance_min " + min + " is above flux_guidance_max " + max);
        if (s.isSet("flux_guidance_mode") || s.isSet("flux_guidance_value"))
            if (s.string("flux_guidance_mode").equals("random-range") || s.number("flux_guidance_value") != 1.0)
                problems.warn(file, "flux_guidance_mode", "SimpleTuner rewrites flux2 training guidance to constant 1.0; this trainer honours the configured guidance");
        return new TrainConfig.Flow(s.number("flow_sigmoid_scale"), s.number("flow_schedule_shift"), s.bool("flow_schedule_auto_shift"),
                s.bool("flow_use_uniform_schedule"), s.bool("flow_use_beta_schedule"), s.number("flow_beta_schedule_alpha"),
                s.number("flow_beta_schedule_beta"), s.string("flux_guidance_mode"), s.number("flux_guidance_value"), min, max);
    }

    private TrainConfig.Lora lora(String file, Settings s, Path configDir, Problems problems) {
        int rank = s.int32("lora_rank");
        if (s.number("lora_dropout") == 1)
            problems.error(file, "lora_dropout", "1 would drop every input of the adapters: expected 0 <= lora_dropout < 1");
        List<String> modules = s.list("peft_lora_target_modules");
        if (modules != null && modules.size() == 1 && modules.getFirst().endsWith(".json")) {
            // SimpleTuner also takes a path to a JSON list
            Path p = ConfigPaths.existing(workDir, configDir, modules.getFirst(), false, file, "peft_lora_target_modules", problems);
            modules = null;
            JsonNode n = p == null ? null : readJson(p, problems);
            if (n != null) {
                if (!n.isArray()) problems.error(p.toString(), "", "expected a JSON list of module names");
                else {
                    modules = new ArrayList<>();
                    for (JsonNode e : n) {
                        if (e.isTextual()) modules.add(e.textValue());
                        else problems.error(p.toString(), "", "wrong type: " + e + " is not a module name string");
                    }
                }
            }
        }
        if (modules != null) {
            if (modules.isEmpty()) problems.error(file, "peft_lora_target_modules", "empty list: name at least one module");
            for (String m : modules) if (m.isBlank()) problems.error(file, "peft_lora_target_modules", "blank module name");
        }
        double alpha = s.number("lora_alpha") != null ? s.number("lora_alpha") : rank;
        return new TrainConfig.Lora(rank, alpha, s.number("lora_dropout"), s.string("lora_init_type"), s.string("flux_lora_target"),
                modules == null ? null : List.copyOf(modules), s.string("lora_format"));
    }

    /** validation_resolution: "WxH", "N" (square) or a comma-separated list of those. */
    static List<TrainConfig.Size> resolutions(String file, String value, Problems problems) {
        List<TrainConfig.Size> out = new ArrayList<>();
        if (value == null) return out;
        for (String part : value.split(",")) {
            String t = part.trim().toLowerCase(Locale.ROOT);
            String[] wh = t.split("x", -1);
            try {
                double w = Double.parseDouble(wh[0].trim());
                double h = wh.length == 2 ? Double.parseDouble(wh[1].trim()) : w;
                if (wh.length > 2 || !(w >= 16) || !(h >= 16)) throw new NumberFormatException();
                if (w > Limits.MAX_EDGE || h > Limits.MAX_EDGE)
                    problems.error(file, "validation_resolution", "'" + part.trim() + "' is out of range: width and height from 16 to "
                            + Limits.MAX_EDGE + " pixels");
                else out.add(new TrainConfig.Size((int) Math.round(w), (int) Math.round(h)));
            } catch (NumberFormatException e) {
                problems.error(file, "validation_resolution", "'" + part.trim() + "' is not a resolution: expected WxH or N (16 to "
                        + Limits.MAX_EDGE + "), comma-separated for several");
            }
        }
        return out;
    }

    private List<DatasetConfig> datasets(String configName, Settings global, Path configDir, Path outputDir, Problems problems) {
        Path file = ConfigPaths.existing(workDir, configDir, global.string("data_backend_config"), false, configName, "data_backend_config", problems);
        if (file == null) return List.of();
        JsonNode root = readJson(file, problems);
        if (root == null) return List.of();
        String name = file.toString();
        if (!root.isArray()) {
            problems.error(name, "", "expected a JSON list of datasets");
            return List.of();
        }
        List<DatasetConfig> out = new ArrayList<>();
        Map<String, String> sources = new java.util.LinkedHashMap<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode entry = root.get(i);
            String where = name + " [" + i + (entry.path("id").isTextual() ? " id=" + entry.path("id").textValue() : "") + "]";
            Settings d = Settings.read(where, entry, DatasetKeys.TABLE, problems);
            if (!entry.isObject()) continue;
            if (!d.isSet("type")) problems.error(where, "type", "required key is missing (one of local)");
            String id = d.string("id");
            if (id != null && !ids.add(id)) problems.error(where, "id", "duplicate dataset id '" + id + "'");
            if (d.bool("disabled")) continue;
            DatasetConfig dc = dataset(where, d, global, configDir, outputDir, problems);
            if (dc != null) out.add(dc);
            if (dc != null && d.string("source_dataset_id") != null) sources.put(dc.id(), d.string("source_dataset_id"));
        }
        out = ConditioningLinks.link(name, out, sources, problems);
        if (out.stream().noneMatch(c -> c.datasetType() == DatasetType.IMAGE))
            problems.error(name, "", "no enabled image dataset (dataset_type image)");
        for (DatasetConfig c : out)
            if (c.textEmbeds() != null && out.stream().noneMatch(o -> o.datasetType() == DatasetType.TEXT_EMBEDS && o.id().equals(c.textEmbeds())))
                problems.error(name, "text_embeds", "dataset '" + c.id() + "' names text_embeds '" + c.textEmbeds() + "', which is not a text_embeds dataset in this file");
        long defaults = out.stream().filter(c -> c.datasetType() == DatasetType.TEXT_EMBEDS && c.isDefault()).count();
        if (defaults > 1) problems.error(name, "default", "more than one text_embeds dataset is marked default");
        return out;
    }

    private DatasetConfig dataset(String where, Settings d, Settings g, Path configDir, Path outputDir, Problems problems) {
        String id = d.string("id");
        DatasetType type = d.string("dataset_type") == null ? null : DatasetType.valueOf(d.string("dataset_type").toUpperCase(Locale.ROOT));
        if (type == null || id == null) return null;
        int writeBatch = d.int32("write_batch_size"), encoderBatch = d.int32("text_encoder_batch_size");
        int rounding = g.int32("aspect_bucket_rounding");
        boolean noPruning = g.bool("disable_bucket_pruning");
        if (type == DatasetType.TEXT_EMBEDS) {
            String cache = d.string("cache_dir") != null ? d.string("cache_dir") : g.string("cache_dir_text");
            return new DatasetConfig(id, type, null, false, null, null, 0, null, null, null, null, null, null, List.of(), false, false,
                    false, 0, null, d.bool("default"), ConfigPaths.output(workDir, cache), writeBatch, encoderBatch, rounding, noPruning);
        }
        Path dir = null;
        if (d.string("instance_data_dir") == null) problems.error(where, "instance_data_dir", "required for an image or conditioning dataset (the image folder)");
        else dir = ConfigPaths.existing(workDir, configDir, d.string("instance_data_dir"), true, where, "instance_data_dir", problems);

        boolean crop = d.isSet("crop") ? d.bool("crop") : g.bool("crop");
        String style = d.isSet("crop_style") ? d.string("crop_style") : g.string("crop_style");
        String aspect = d.isSet("crop_aspect") ? d.string("crop_aspect") : g.string("crop_aspect");
        double resolution = d.isSet("resolution") ? d.number("resolution") : g.number("resolution");
        String resType = d.isSet("resolution_type") ? d.string("resolution_type") : g.string("resolution_type");
        Double minSize = d.isSet("minimum_image_size") ? d.number("minimum_image_size") : g.number("minimum_image_size");
        String captions = d.isSet("caption_strategy") ? d.string("caption_strategy") : g.string("caption_strategy");
        if (style == null || aspect == null || resType == null || captions == null) return null; // bad value, already reported

        ResolutionType rt = ResolutionType.valueOf(resType.toUpperCase(Locale.ROOT));
        if (rt == ResolutionType.AREA && resolution > 100)
            problems.error(where, "resolution", resolution + " megapixels with resolution_type area: did you mean resolution_type pixel_area (an edge in pixels)?");
        else if (rt == ResolutionType.AREA && resolution > MAX_MEGAPIXELS)
            problems.error(where, "resolution", resolution + " megapixels is out of range: expected at most " + MAX_MEGAPIXELS
                    + " megapixels (" + Limits.MAX_EDGE + "x" + Limits.MAX_EDGE + ") with resolution_type area");
        else if (rt != ResolutionType.AREA && resolution < 16)
            problems.error(where, "resolution", resolution + " pixels is below 16 (for megapixels use resolution_type area)");
        List<String> instance = d.list("instance_prompt") == null ? List.of() : d.list("instance_prompt");
        CaptionStrategy cs = CaptionStrategy.valueOf(captions.toUpperCase(Locale.ROOT));
        if (type == DatasetType.IMAGE && (cs == CaptionStrategy.INSTANCEPROMPT || d.bool("only_instance_prompt") || d.bool("prepend_instance_prompt")) && instance.isEmpty())
            problems.error(where, "instance_prompt", "required with caption_strategy instanceprompt, only_instance_prompt or prepend_instance_prompt");
        Double minAr = d.number("minimum_aspect_ratio"), maxAr = d.number("maximum_aspect_ratio");
        if (minAr != null && maxAr != null && minAr > maxAr)
            problems.error(where, "minimum_aspect_ratio", minAr + " is above maximum_aspect_ratio " + maxAr);
        Path vae = d.string("cache_dir_vae") != null ? ConfigPaths.output(workDir, d.string("cache_dir_vae"))
                : outputDir == null ? null : outputDir.resolve("cache").resolve("vae").resolve("flux2").resolve(id);
        DatasetConfig.ConditioningType ct = null;
        if (type == DatasetType.CONDITIONING) {
            if (d.string("conditioning_type") == null)
                problems.error(where, "conditioning_type", "required for a conditioning dataset: reference_strict (cropped exactly as the paired image) or reference_loose (own aspect bucket)");
            else ct = DatasetConfig.ConditioningType.valueOf(d.string("conditioning_type").toUpperCase(Locale.ROOT));
        } else if (d.isSet("conditioning_type"))
            problems.error(where, "conditioning_type", "only for dataset_type conditioning; pair this dataset with conditioning_data instead");
        List<String> paired = d.list("conditioning_data") == null ? List.of() : List.copyOf(d.list("conditioning_data"));
        if (!paired.isEmpty() && type != DatasetType.IMAGE)
            problems.error(where, "conditioning_data", "only for image datasets (it names the conditioning datasets paired to their images)");
        return new DatasetConfig(id, type, dir, crop,
                CropStyle.valueOf(style.equals("centre") ? "CENTER" : style.toUpperCase(Locale.ROOT)),
                CropAspect.valueOf(aspect.toUpperCase(Locale.ROOT)), resolution, rt, minSize, minAr, maxAr, vae, cs,
                List.copyOf(instance), d.bool("prepend_instance_prompt"), d.bool("only_instance_prompt"),
                d.bool("disable_multiline_split"), d.int32("repeats"), d.string("text_embeds"), false, null,
                writeBatch, encoderBatch, rounding, noPruning, ct, paired, g.integer("max_image_pixels"));
    }

    private JsonNode readJson(Path file, Problems problems) {
        String edited = pending.get(file.toAbsolutePath().normalize());
        if (edited == null && !Files.isRegularFile(file)) {
            problems.error(file.toString(), "", "file not found");
            return null;
        }
        try {
            JsonNode n = JSON.readTree(edited != null ? edited : Utf8Files.read(file));
            if (n == null || n.isMissingNode()) problems.error(file.toString(), "", "empty file: expected JSON");
            return n == null || n.isMissingNode() ? null : n;
        } catch (JsonProcessingException e) {
            problems.error(file.toString(), "", ConfigJson.describe(e));
            return null;
        } catch (NotUtf8Exception e) {
            problems.error(file.toString(), "", e.problem());
            return null;
        } catch (IOException e) {
            problems.error(file.toString(), "", "cannot read: " + e.getMessage());
            return null;
        }
    }
}
