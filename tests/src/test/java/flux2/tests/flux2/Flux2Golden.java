package flux2.tests.flux2;

import flux2.model.flux2.Flux2Checkpoint;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A golden case's model (config from the io metadata, weights mapped from a weight file) and its tensors. */
final class Flux2Golden implements AutoCloseable {
    final TensorSource io;
    final Flux2Config config;
    private TensorSource weights;
    private final TensorArena params = TensorArena.create("flux2-golden-params");

    Flux2Golden(Path io) throws IOException {
        this.io = Checkpoints.open(io);
        config = Flux2Config.fromOfficialJson(this.io.metadata().get("config"));
    }

    /** A model with the weights of {@code file}; returns the layout that was detected. */
    Flux2Transformer model(Path file) throws IOException {
        weights = Checkpoints.open(file);
        Flux2Transformer m = new Flux2Transformer(config, DType.BF16, params);
        Flux2Checkpoint.load(m, weights, params, false);
        return m;
    }

    Tensor t(String name) {
        try {
            return io.tensor(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean has(String name) { return io.contains(name); }

    String meta(String key) { return io.metadata().get(key); }

    @Override public void close() {
        if (weights != null) weights.close();
        io.close();
        params.close();
    }
}
