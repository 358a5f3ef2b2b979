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

/** Converts a FLUX.2 LoRA file between the diffusers and ComfyUI layouts, without loading a model. */
@Command(name = "convert-lora", mixinStandardHelpOptions = true,
        description = "Convert a FLUX.2 LoRA file (diffusers, ComfyUI/official or kohya layout, separate or fused q/k/v) "
                + "to the diffusers or ComfyUI layout. Module shapes come from the file; no model is needed.")
public final class ConvertLoraCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The LoRA .safetensors file to read.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .safetensors file to write (replaced atomically).")
    Path out;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "diffusers or comfyui.")
    String to;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "f32 or bf16 (default: the input's).")
    String dtype;

    @Option(names = "--bake-scale", description = "Fold alpha / rank into B and write alpha = rank, so that loaders "
            + "that ignore alpha apply the same strength.")
    boolean bakeScale;

    @Override
    public Integer call() throws IOException {
        LoraFormat format = LoraFormat.parse(to);
        DType dt = dtype == null ? null : switch (dtype.toLowerCase()) {
            case "f32", "fp32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        };
        try (TensorArena arena = TensorArena.create("convert-lora")) {
            LoraWeights w = LoraReader.read(in, arena);
            DType written = dt != null ? dt : w.dtype();
            LoraWriter.write(out, w, LoraWriter.Options.of(format, written).withBakeScale(bakeScale));
            System.out.println("wrote " + out + ": " + w.adapters().size() + " adapters, " + format.name().toLowerCase()
                    + " layout, " + written.name().toLowerCase());
        }
        return 0;
    }
}
