package flux2.trainer.config;

import java.nio.file.Path;

/**
 * Where the base model's parts are on disk. transformer and vae are a diffusers component folder or an official
 * single .safetensors file; textEncoder is a folder of safetensors; tokenizer a folder with tokenizer.json or tekken.json.
 */
public record ModelLocation(String source, Path transformer, Path vae, Path textEncoder, Path tokenizer) {}
