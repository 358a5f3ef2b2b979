package flux2.trainer.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.autograd.nn.Parameter;
import flux2.model.flux2.DiffusersKeys;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.AtomicFiles;
import flux2.tensor.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a transformer as a diffusers {@code transformer/} folder (diffusion_pytorch_model.safetensors with q/k/v
 * split and the final modulation halves swapped, and config.json), the layout {@link ModelParts#transformer} reads.
 */
public final class TransformerFolder {
    private TransformerFolder() {}

    /** The weights file name inside the folder. */
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Writes {@code model}'s weights in {@code dtype} and its config into {@code dir}: everything goes to a hidden
     * sibling folder first ({@code .<name>.tmp}), which replaces {@code dir} only when complete; the folder it
     * replaces is renamed to {@code .<name>.old} first and removed last.
     */
    public static void write(Flux2Transformer model, Path dir, DType dtype) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dir.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        try (TensorArena a = TensorArena.open("transformer-folder")) {
            SafetensorsWriter.write(tmp.resolve(WEIGHTS), diffusersState(model, dtype));
        }
        writeConfig(model.config, tmp.resolve("config.json"));
        Path old = parent.resolve("." + dir.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(dir)) AtomicFiles.move(dir, old);
        AtomicFiles.move(tmp, dir);
        deleteTree(old);
    }

    /** The model's parameters under their diffusers names, converted to {@code dtype} in the current arena. */
    public static Map<String, Tensor> diffusersState(Flux2Transformer model, DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Tensor t = e.getValue().value();
            DiffusersKeys.Source src = DiffusersKeys.of(e.getKey());
            switch (src.combine()) {
                case RENAME -> out.put(src.keys().getFirst(), t.to(dtype));
                case CONCAT_ROWS -> {
                    Tensor[] parts = Layouts.chunk(t, 0, src.keys().size());
                    for (int i = 0; i < parts.length; i++) out.put(src.keys().get(i), parts[i].contiguous().to(dtype));
                }
                case SWAP_HALVES -> {
                    Tensor[] h = Layouts.chunk(t, 0, 2);
                    out.put(src.keys().getFirst(), Layouts.concat(0, h[1], h[0]).to(dtype));
                }
            }
        }
        return out;
    }

    /** The diffusers Flux2Transformer2DModel config.json of a config. */
    public static void writeConfig(Flux2Config c, Path file) throws IOException {
        ObjectNode j = JSON.createObjectNode();
        j.put("_class_name", "Flux2Transformer2DModel");
        j.put("patch_size", 1);
        j.put("in_channels", c.inChannels());
        j.putNull("out_channels");
        j.put("num_layers", c.depth());
        j.put("num_single_layers", c.depthSingleBlocks());
        j.put("attention_head_dim", c.headDim());
        j.put("num_attention_heads", c.numHeads());
        j.put("joint_attention_dim", c.contextInDim());
        j.put("timestep_guidance_channels", 256);
        j.put("mlp_ratio", c.mlpRatio());
        var axes = j.putArray("axes_dims_rope");
        for (int x : c.axesDim()) axes.add(x);
        j.put("rope_theta", (int) c.theta());
        j.put("eps", 1e-6);
        j.put("guidance_embeds", c.guidanceEmbed());
        AtomicFiles.writeBytes(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(j));
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
