package flux2.app;

import flux2.tensor.DType;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.ShardedSafetensors;
import flux2.tensor.io.TensorInfo;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Lists the tensors, parameter count, bytes per dtype and metadata of a safetensors file or checkpoint folder. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors (name, dtype, shape), parameter count, bytes per dtype and metadata of a "
                + "safetensors file, an index.json, or a folder (sharded checkpoints follow the index).")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE|FOLDER", description = "A .safetensors file, a .safetensors.index.json, or a folder.")
    Path target;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        try (TensorSource src = Checkpoints.open(target)) {
            ShardedSafetensors sharded = src instanceof ShardedSafetensors s ? s : null;
            out.println(src.describe() + ": " + src.names().size() + " tensors"
                    + (sharded != null ? " in " + sharded.shards().size() + " files" : ""));
            Map<DType, Long> bytes = new EnumMap<>(DType.class);
            long params = 0;
            for (String name : src.names()) {
                TensorInfo t = src.info(name);
                params += t.numel();
                bytes.merge(t.dtype(), t.byteSize(), Long::sum);
                String where = sharded != null ? "  " + sharded.shardOf(name).getFileName() : "";
                out.println("  " + name + "  " + t.dtype().safetensorsName() + "  " + Arrays.toString(t.shape()) + where);
            }
            out.println("parameters: " + params);
            StringBuilder b = new StringBuilder("bytes:");
            long total = 0;
            for (Map.Entry<DType, Long> e : bytes.entrySet()) {
                b.append(' ').append(e.getKey().safetensorsName()).append('=').append(e.getValue());
                total += e.getValue();
            }
            out.println(b.append(bytes.isEmpty() ? " none" : "").append(" (total ").append(total).append(')'));
            out.println("metadata:" + (src.metadata().isEmpty() ? " none" : ""));
            // Values such as configs may span lines; escape newlines so each entry stays one line.
            src.metadata().forEach((k, v) -> out.println("  " + k + " = " + v.replace("\n", "\\n").replace("\r", "\\r")));
            out.flush();
            return 0;
        } catch (IOException e) {
            out.flush();
            System.err.println("error: " + e.getMessage());
            System.err.flush();
            return 1;
        }
    }
}
