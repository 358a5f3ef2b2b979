package flux2.app;

import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraReader;
import flux2.model.flux2.lora.LoraWeights;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Converts a FLUX.2 LoRA file between the diffusers, ComfyUI and kohya layouts, without loading a model. */
@Command(name = "convert-lora", mixinStandardHelpOptions = true,
        description = "Convert a FLUX.2 LoRA file (diffusers, ComfyUI/official or kohya layout, separate or fused q/k/v) "
                + "to the diffusers, ComfyUI or kohya (musubi-tuner) layout, exactly. Module shapes come from the file; no model "
                + "is needed. Keys that cannot be applied to the FLUX.2 transformer (text-encoder adapters, unknown modules) "
                + "are left out with one warning; DoRA files are refused.")
public final class ConvertLoraCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The LoRA .safetensors file to read.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .safetensors file to write (replaced atomically).")
    Path out;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "diffusers, comfyui or kohya.")
    String to;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "f32, bf16 or f16 (default: the input's; F32 when it mixes dtypes).")
    String dtype;

    @Option(names = "--bake-scale", description = "Fold alpha / rank into B and write alpha = rank, so that loaders "
            + "that ignore alpha apply the same strength.")
    boolean bakeScale;

    @Option(names = "--no-alpha", description = "comfyui and kohya: write no .alpha tensors, the scale baked into B. "
            + "With --to comfyui this is the file ComfyUI and diffusers both load fully at the trained strength "
            + "(diffusers refuses .alpha tensors in official names).")
    boolean noAlpha;

    @Override
    public Integer call() throws IOException {
        LoraFormat format = LoraFormat.parse(to);
        if (noAlpha && format == LoraFormat.DIFFUSERS)
            throw new IllegalArgumentException("--no-alpha is for --to comfyui or kohya: a diffusers file has no .alpha tensors, its alphas are in the PEFT metadata");
        DType dt = dtype == null ? null : switch (dtype.toLowerCase()) {
            case "f32", "fp32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "fp16", "float16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype must be f32, bf16 or f16, got '" + dtype + "'");
        };
        try (TensorArena arena = TensorArena.create("convert-lora")) {
            LoraWeights w = LoraReader.read(in, arena);
            if (w.skippedWarning(in) != null) System.err.println(w.skippedWarning(in));
            DType written = dt != null ? dt : w.dtype();
            LoraWriter.Options options = LoraWriter.Options.of(format, written).withBakeScale(bakeScale);
            LoraWriter.write(out, w, noAlpha ? options.withoutAlpha() : options);
            System.out.println("wrote " + out + ": " + w.adapters().size() + " adapters, " + format.name().toLowerCase()
                    + " layout" + (noAlpha ? " without .alpha (scale baked)" : bakeScale ? " (scale baked)" : "") + ", " + written.name().toLowerCase());
        }
        return 0;
    }
}
