package flux2.trainer.config;

import static flux2.trainer.config.KeyDef.bool;
import static flux2.trainer.config.KeyDef.choice;
import static flux2.trainer.config.KeyDef.integer;
import static flux2.trainer.config.KeyDef.number;
import static flux2.trainer.config.KeyDef.string;

import java.util.List;
import java.util.Set;

/**
 * The keys of one multidatabackend.json entry (spec flux2-training.md section 6.1). Data keys without a default
 * here (resolution, crop, ...) take config.json's global value.
 */
public final class DatasetKeys {
    private DatasetKeys() {}

    public static final KeyTable TABLE = new KeyTable(List.of(
            string("id", null).require(),
            choice("type", null, "local").notImplemented("aws", "csv", "huggingface", "webshart", "memory"),
            choice("dataset_type", "image", "image", "text_embeds", "conditioning")
                    .notImplemented("video", "audio", "image_embeds", "conditioning_image_embeds"),
            choice("conditioning_type", null, "reference_strict", "reference_loose").notImplemented("mask", "controlnet"),
            KeyDef.of("conditioning_data", KeyDef.Kind.STRING_LIST, null),
            string("source_dataset_id", null),
            bool("disabled", false),
            string("instance_data_dir", null),
            KeyDef.of("crop", KeyDef.Kind.BOOL, null),
            choice("crop_style", null, "random", "center", "centre", "corner").substitute("face", "random"),
            choice("crop_aspect", null, "square", "preserve").notImplemented("closest", "random"),
            number("resolution", null).range(0, Limits.MAX_EDGE),
            choice("resolution_type", null, "pixel", "area", "pixel_area"),
            number("minimum_image_size", null).range(0, Limits.MAX_EDGE),
            number("minimum_aspect_ratio", null).min(0),
            number("maximum_aspect_ratio", null).min(0),
            string("cache_dir_vae", null),
            choice("caption_strategy", null, "filename", "textfile", "instanceprompt").notImplemented("parquet", "webshart", "huggingface", "csv"),
            KeyDef.of("instance_prompt", KeyDef.Kind.STRING_LIST, null),
            bool("prepend_instance_prompt", false),
            bool("only_instance_prompt", false),
            bool("disable_multiline_split", false),
            choice("metadata_backend", "discovery", "discovery").notImplemented("parquet", "huggingface", "webshart"),
            integer("repeats", 0L).range(0, 10_000),
            string("text_embeds", null),
            bool("default", false),
            string("cache_dir", null),
            integer("write_batch_size", 128L).range(1, 4096),
            integer("text_encoder_batch_size", 1L).range(1, 1024)
    ), Set.of(
            "probability", "maximum_image_size", "target_downsample_size", "crop_aspect_buckets", "max_upscale_threshold",
            "caption_shuffle", "caption_filter_list", "timestep_sampling_offset", "vae_cache_clear_each_epoch", "vae_cache_ondemand",
            "vae_cache_disable", "skip_file_discovery", "preserve_data_backend_cache", "max_num_samples", "start_epoch", "end_epoch",
            "start_step", "end_step", "is_regularisation_data", "is_regularization_data", "train_batch_size", "conditioning", "image_embeds", "hash_filenames", "parquet", "huggingface",
            "aws_bucket_name", "aws_region_name", "aws_endpoint_url", "aws_access_key_id", "aws_secret_access_key", "aws_data_prefix"
    ), List.of());
}
