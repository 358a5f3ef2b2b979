package flux2.model.flux2.lora;

import java.util.Arrays;

/** How a LoRA file names its tensors when written: diffusers (the default), ComfyUI's official names, or kohya's. */
public enum LoraFormat {
    /** {@code transformer.<diffusers module>.lora_A/B.weight}, fused qkv split in q/k/v, PEFT metadata. */
    DIFFUSERS,
    /** {@code diffusion_model.<official module>.lora_A/B.weight}, with {@code .alpha} scalars unless written without them. */
    COMFYUI,
    /** musubi-tuner / kohya sd-scripts: {@code lora_unet_<official module, '.' as '_'>.lora_down/lora_up.weight} and {@code .alpha}. */
    KOHYA;

    /** The format named by SimpleTuner's {@code lora_format} or convert-lora's {@code --to} ("diffusers", "comfyui", "kohya"). */
    public static LoraFormat parse(String name) {
        for (LoraFormat f : values()) if (f.name().equalsIgnoreCase(name)) return f;
        throw new IllegalArgumentException("unknown LoRA format '" + name + "'; known: "
                + Arrays.stream(values()).map(f -> f.name().toLowerCase()).toList());
    }
}
