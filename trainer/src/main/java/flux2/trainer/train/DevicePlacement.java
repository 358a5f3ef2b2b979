package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Backend;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Collection;

/** Puts parameters on the training device once, so that weights are never copied again during the run. */
public final class DevicePlacement {
    private DevicePlacement() {}

    /**
     * Replaces every parameter value that is not on {@code device} with a copy there, allocated in
     * {@code arena} (which must outlive the parameters' use); returns the bytes moved.
     */
    public static long move(Collection<Parameter> params, Backend device, TensorArena arena) {
        long bytes = 0;
        try (TensorArena.Scope s = arena.enter()) {
            for (Parameter p : params) {
                Tensor v = p.value();
                if (v.backend() == device) continue;
                p.set(v.to(device));
                bytes += v.dtype().bytesFor(v.numel());
            }
        }
        return bytes;
    }
}
