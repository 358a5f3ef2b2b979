package flux2.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import flux2.tensor.Backend;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class GpuSmokeTest {
    @Test
    void roundTripAndAdd() {
        Assumptions.assumeFalse(DeviceBackends.all().isEmpty(), DeviceBackends::whyNone);
        for (Backend be : DeviceBackends.all()) {
            try (TensorArena a = TensorArena.open("t")) {
                Tensor x = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
                Tensor d = x.to(be);
                Tensor s = d.add(d).t();
                assertArrayEquals(new float[]{2, 8, 4, 10, 6, 12}, s.toFloatArray());
            }
        }
    }
}
