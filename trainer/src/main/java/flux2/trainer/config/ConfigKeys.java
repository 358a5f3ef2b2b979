package flux2.trainer.config;

import static flux2.trainer.config.KeyDef.bool;
import static flux2.trainer.config.KeyDef.choice;
import static flux2.trainer.config.KeyDef.integer;
import static flux2.trainer.config.KeyDef.number;
import static flux2.trainer.config.KeyDef.string;

import flux2.model.flux2.lora.LoraFormat;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import flux2.trainer.config.TrainConfig.DefaultDtype;
import flux2.trainer.config.TrainConfig.GuidanceMode;
import flux2.trainer.config.TrainConfig.LoraInitType;
import flux2.trainer.config.TrainConfig.LoraTargetPreset;
import flux2.trainer.config.TrainConfig.LoraType;
import flux2.trainer.config.TrainConfig.MixedPrecision;
import flux2.trainer.config.TrainConfig.ModelFamily;
import flux2.trainer.config.TrainConfig.ModelFlavour;
import flux2.trainer.config.TrainConfig.ModelType;
import flux2.trainer.config.TrainConfig.MultidatasetSampling;
import flux2.trainer.config.Training.ClipMethod;
import flux2.trainer.config.Training.LossType;
import flux2.trainer.config.Training.OptimizerName;
import flux2.trainer.config.Training.Scheduler;
import java.util.List;
import java.util.Set;

/**
 * The config.json keys: SimpleTuner's names and defaults. Every
 * enumeration key allows the constants of one enum ({@link KeyDef#choice}).
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /** Quantisation names SimpleTuner accepts that have no implementation here. */
    private static final String[] OTHER_PRECISIONS = {"int2-quanto", "fp8uz-quanto", "int8-torchao", "int8dq-torchao",
            "int8dq-int4-torchao", "fp8-torchao", "fp8-int4-torchao", "nf4-torchao", "fp8-torchao-compile",
            "int4-torchao", "nf4-bnb", "uint8-sdnq", "int16-sdnq", "fp8-transformerengine"};

    public static final KeyTable TABLE = new KeyTable(List.of(
            // model
            choice("model_type", null, ModelType.class).require(),
            choice("model_family", null, ModelFamily.class).notImplemented("flux", "sdxl", "sd3", "sd1x", "sd2x", "pixart_sigma",
                    "kolors", "legacy", "hidream", "auraflow", "sana", "wan", "ltxvideo", "lumina2", "qwen_image", "chroma").require(),
            choice("model_flavour", "klein-9b", ModelFlavour.class).notImplemented("klein-9b", "klein-4b"),
            string("pretrained_model_name_or_path", null),
            string("pretrained_transformer_model_name_or_path", null),
            string("pretrained_vae_model_name_or_path", null),
            string("pretrained_text_encoder_model_name_or_path", null),
            precision("base_model_precision"),
            precision("text_encoder_1_precision"),
            choice("base_model_default_dtype", "bf16", DefaultDtype.class),
            choice("mixed_precision", "bf16", MixedPrecision.class).notImplemented("fp16", "fp8"),
            string("device", "cpu"),
            // files
            string("output_dir", null).require(),
            string("data_backend_config", null).require(),
            string("user_prompt_library", null),
            string("cache_dir_text", "cache"),
            // data defaults for every dataset
            number("resolution", 1024.0).range(0, Limits.MAX_EDGE),
            choice("resolution_type", "pixel_area", ResolutionType.class),
            number("minimum_image_size", null).range(0, Limits.MAX_EDGE),
            bool("crop", false),
            choice("crop_style", "random", CropStyle.class).substitute("face", "random"),
            choice("crop_aspect", "square", CropAspect.class).notImplemented("closest", "random"),
            choice("caption_strategy", "filename", CaptionStrategy.class).notImplemented("parquet", "webshart", "huggingface", "csv"),
            integer("aspect_bucket_rounding", 2L).range(0, 9),
            // ours, not SimpleTuner's: images whose header declares more pixels are skipped undecoded (Pillow's bomb limit)
            integer("max_image_pixels", 178_956_970L).range(1, 4_294_967_295L),
            bool("disable_bucket_pruning", false),
            // training
            integer("seed", null).range(0, Limits.MAX_SEED),
            integer("train_batch_size", 4L).range(1, 1024),
            integer("gradient_accumulation_steps", 1L).range(1, 4096),
            // data parallelism: ranks started by train itself (or by mpirun / torchrun), train_batch_size samples each
            integer("num_processes", 1L).range(1, 1024),
            bool("gradient_checkpointing", true),
            number("learning_rate", 4e-7).min(0),
            choice("lr_scheduler", "constant_with_warmup", Scheduler.class).notImplemented("sine", "cosine_with_restarts"),
            integer("lr_warmup_steps", 0L).range(0, Limits.MAX_STEPS),
            number("lr_end", 4e-7).min(0),
            number("lr_power", 0.8),
            integer("max_train_steps", null).range(0, Limits.MAX_STEPS),
            integer("num_train_epochs", 1L).range(0, 1_000_000),
            number("max_grad_norm", 2.0).min(0),
            choice("grad_clip_method", "value", ClipMethod.class),
            choice("optimizer", "adamw_bf16", OptimizerName.class).substitute("adamw_bf16", "adamw").substitute("optimi-adamw", "adamw")
                    .notImplemented("optimi-stableadamw", "optimi-lion", "optimi-adan", "prodigy", "soap", "muon", "bnb-adamw8bit",
                            "bnb-adamw", "bnb-lion", "bnb-lion8bit", "ao-adamw8bit", "ao-adamw4bit", "ao-adamfp8", "torch-adamw"),
            number("optimizer_beta1", null),
            number("optimizer_beta2", null),
            choice("loss_type", "l2", LossType.class).notImplemented("huber", "smooth_l1"),
            number("caption_dropout_probability", 0.0).range(0, 1),
            // flow matching (section 2.2) and guidance (2.4)
            number("flow_sigmoid_scale", 1.0),
            number("flow_schedule_shift", 3.0).min(0),
            bool("flow_schedule_auto_shift", false),
            bool("flow_use_uniform_schedule", false),
            bool("flow_use_beta_schedule", false),
            number("flow_beta_schedule_alpha", 2.0).min(0),
            number("flow_beta_schedule_beta", 2.0).min(0),
            choice("flux_guidance_mode", "constant", GuidanceMode.class),
            number("flux_guidance_value", 1.0),
            number("flux_guidance_min", 0.0),
            number("flux_guidance_max", 4.0),
            // LoRA (section 4)
            integer("lora_rank", 16L).range(1, Limits.MAX_LORA_RANK),
            number("lora_alpha", null).min(0),
            number("lora_dropout", 0.1).range(0, 1),
            choice("lora_type", "standard", LoraType.class).notImplemented("lycoris"),
            choice("lora_init_type", "default", LoraInitType.class).notImplemented("loftq", "olora", "pissa"),
            choice("flux_lora_target", "all", LoraTargetPreset.class)
                    .notImplemented("mmdit", "context", "context+ffs", "all+ffs", "all+ffs+embedder", "ai-toolkit", "nofeedforward"),
            KeyDef.of("peft_lora_target_modules", KeyDef.Kind.STRING_LIST, null),
            choice("lora_format", "diffusers", LoraFormat.class),
            // checkpoints (section 10)
            integer("checkpoint_step_interval", 500L).range(1, Limits.MAX_STEPS).alias("checkpointing_steps"),
            integer("checkpoints_total_limit", 5L).range(1, 10_000),
            string("resume_from_checkpoint", "latest"),
            // validation (section 9)
            integer("validation_step_interval", 100L).range(1, Limits.MAX_STEPS).alias("validation_steps"),
            string("validation_prompt", null),
            string("validation_resolution", "256"),
            integer("validation_num_inference_steps", 30L).range(1, Limits.MAX_SAMPLING_STEPS),
            number("validation_guidance", 7.5),
            integer("validation_seed", null).range(0, Limits.MAX_SEED),
            string("validation_negative_prompt", "blurry, cropped, ugly"),
            number("validation_guidance_real", 1.0).min(0),
            integer("validation_no_cfg_until_timestep", 2L).range(0, Limits.MAX_SAMPLING_STEPS),
            integer("num_validation_images", 1L).range(1, 100),
            // TREAD token routing (section 5) and reference conditioning (section 3)
            KeyDef.of("tread_config", KeyDef.Kind.JSON, null),
            choice("conditioning_multidataset_sampling", "random", MultidatasetSampling.class),
            bool("validation_on_startup", false)
    ), Set.of(
            // SimpleTuner keys with no implementation here (reported by name, then ignored)
            "revision", "variant", "text_encoder_revision", "controlnet", "fuse_qkv_projections", "fused_qkv_projections",
            "quantize_via", "offload_during_startup", "enable_group_offload", "group_offload_type", "group_offload_blocks_per_group",
            "group_offload_use_stream", "group_offload_to_disk_path", "group_offload_text_encoder", "group_offload_vae",
            "musubi_blocks_to_swap", "gradient_checkpointing_interval", "gradient_checkpointing_backend",
            "gradient_checkpointing_offload_attention", "disable_tf32", "gradient_precision", "use_ema", "ema_decay",
            "ema_update_interval", "ema_device", "ema_validation", "report_to", "tracker_project_name", "tracker_run_name",
            "hub_model_id", "push_to_hub", "push_checkpoints_to_hub", "vae_batch_size", "vae_dtype", "compress_disk_cache",
            "write_batch_size", "text_encoder_batch_size", "tokenizer_max_length", "custom_text_encoder_intermediary_layers",
            "use_dora", "init_lora", "init_lora_step", "slider_lora_target", "flow_cubic_schedule_weights",
            "flux_fast_schedule", "flow_custom_timesteps", "flow_timesteps_mode", "mixflow_enabled", "input_perturbation",
            "offset_noise", "noise_offset", "noise_offset_probability", "snr_gamma", "huber_c", "huber_schedule",
            "adam_beta1", "adam_beta2", "adam_weight_decay", "adam_epsilon", "optimizer_config", "checkpoint_epoch_interval",
            "checkpointing_rolling_steps", "checkpoints_rolling_total_limit", "validation_epoch_interval",
            "disable_benchmark", "validation_disable_unconditional",
            "validation_seed_source", "validation_randomize", "num_eval_images", "validation_image_format", "validation_preview",
            "validation_guidance_rescale", "validation_prompt_library", "validation_disable", "i_know_what_i_am_doing",
            "allow_dataset_oversubscription"
    ), List.of("scheduled_sampling_", "sdnq_"));

    private static KeyDef precision(String name) {
        return choice(name, "no_change", WeightPrecision.class)
                .substitute("int8-sdnq", "int8").notImplemented(OTHER_PRECISIONS);
    }
}
