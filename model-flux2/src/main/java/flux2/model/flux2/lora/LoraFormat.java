package flux2.model.flux2.lora;

import java.util.Arrays;

/** How a LoRA file names its tensors when written: diffusers (the default) or ComfyUI's official names. */
public enum LoraFormat {
    /** {@code transformer.<diffusers module>.lora_A/B.weight}, fused qkv split in q/k/v, PEFT metadata. */
    DIFFUSERS,
    /** {@code diffusion_model.<official module>.lora_A/B.weight} plus {@code .alpha} scalars. */
    COMFYUI;

    /** The format named by SimpleTuner's {@code lora_format} ("diffusers" or "comfyui"). */
    public static LoraFormat parse(String name) {
        for (LoraFormat f : values()) if (f.name().equalsIgnoreCase(name)) return f;
        throw new IllegalArgumentException("unknown LoRA format '" + name + "'; known: "
                + Arrays.stream(values()).map(f -> f.name().toLowerCase()).toList());
    }
}
