package flux2.bench.cli;

import flux2.quant.ProcessMemory;
import flux2.quant.QuantScheme;
import flux2.quant.QuantizedCheckpoint;
import flux2.quant.QuantizedTensors;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Quantize-on-load at scale: writes a synthetic BF16 checkpoint (a folder of one-tensor shards, so writing it
 * never holds more than one tensor), resets the peak RSS, quantizes it tensor by tensor from the memory-mapped
 * files and reports throughput and peak RSS against the quantized size.
 */
final class QuantLoadBench {
    /** Tensor shape of the synthetic shards: at most FLUX.2-dev's MLP weight, smaller for small requests. */
    private static final int ROWS = 6144, MAX_COLS = 18432;

    private QuantLoadBench() {}

    static Map<String, Object> run(long mib, QuantScheme scheme, Path dir) throws IOException {
        boolean temporary = dir == null;
        Path folder = temporary ? Files.createTempDirectory("flux2-quant-load") : Files.createDirectories(dir);
        try {
            long bytes = mib << 20;
            long perTensor = Math.min(bytes / 2, 2L * ROWS * MAX_COLS);
            int rows = (int) Math.max(1, Math.min(ROWS, perTensor / 2 / 128));
            int cols = (int) Math.max(128, perTensor / 2 / rows / 128 * 128);
            long tensorBytes = 2L * rows * cols;
            int count = (int) Math.max(1, (bytes + tensorBytes - 1) / tensorBytes);
            for (int i = 0; i < count; i++) {
                try (TensorArena a = TensorArena.open("gen")) {
                    Tensor w = new Rng(i).normal(0, 0.02, rows, cols).to(DType.BF16);
                    SafetensorsWriter.write(folder.resolve(String.format("shard-%05d.safetensors", i)), Map.of("layers." + i + ".weight", w));
                }
            }
            boolean reset = ProcessMemory.resetPeak();
            long before = ProcessMemory.rssBytes();
            long start = System.nanoTime();
            long quantized;
            try (TensorArena a = TensorArena.open("quantized"); TensorSource src = Checkpoints.open(folder)) {
                QuantizedTensors q = QuantizedCheckpoint.quantize(src, scheme, QuantizedCheckpoint.linearWeights(), a);
                quantized = q.byteSize();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long peak = ProcessMemory.peakRssBytes();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bench", "quant");
            m.put("phase", "load");
            m.put("dtype", scheme.id());
            m.put("tensors", count);
            m.put("source_mib", BenchQuantCommand.round(count * tensorBytes / 1048576.0));
            m.put("quantized_mib", BenchQuantCommand.round(quantized / 1048576.0));
            m.put("seconds", BenchQuantCommand.round(seconds));
            m.put("gbps", BenchQuantCommand.round(count * tensorBytes / seconds / 1e9));
            m.put("peak_reset", reset);
            m.put("rss_before_mib", BenchQuantCommand.round(before / 1048576.0));
            m.put("peak_rss_mib", BenchQuantCommand.round(peak / 1048576.0));
            // Bound: what was resident before, the result, and one source tensor's mapped pages.
            m.put("within_bound", reset && peak <= before + quantized + tensorBytes + (64L << 20));
            return m;
        } finally {
            if (temporary) deleteTree(folder);
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
