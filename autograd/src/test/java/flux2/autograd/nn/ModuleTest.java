package flux2.autograd.nn;

import static org.junit.jupiter.api.Assertions.*;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest {
    static final class Block extends Module {
        final Linear qkv;
        final RMSNorm norm;

        Block(TensorArena a) {
            qkv = child("qkv", new Linear(4, 12, false, DType.BF16, a));
            norm = child("norm", new RMSNorm(4, 1e-6, "scale", a));
        }
    }

    static final class Net extends Module {
        final Block b0, b1;
        final Linear out;

        Net(TensorArena a) {
            Module blocks = child("double_blocks", new Module() {});
            b0 = blocks.child("0", new Block(a));
            b1 = blocks.child("1", new Block(a));
            out = child("final", new Linear(4, 2, true, DType.F32, a));
        }
    }

    @Test
    void dottedNamesInRegistrationOrder() {
        try (TensorArena a = TensorArena.open("m")) {
            Net n = new Net(a);
            assertEquals(List.of("double_blocks.0.qkv.weight", "double_blocks.0.norm.scale", "double_blocks.1.qkv.weight",
                    "double_blocks.1.norm.scale", "final.weight", "final.bias"), List.copyOf(n.namedParameters().keySet()));
            assertEquals(DType.BF16, n.b1.qkv.weight.value().dtype());
        }
    }

    @Test
    void loadStateDictChecksEverythingAtOnce() {
        try (TensorArena a = TensorArena.open("m")) {
            Net n = new Net(a);
            Map<String, Tensor> sd = new LinkedHashMap<>(n.stateDict());
            sd.remove("final.bias");
            sd.put("final.weight", Tensor.zeros(DType.F32, 3, 4));
            sd.put("extra.weight", Tensor.zeros(DType.F32, 1));
            var e = assertThrows(IllegalArgumentException.class, () -> n.loadStateDict(sd, true, false));
            assertTrue(e.getMessage().contains("missing keys (1): final.bias"), e.getMessage());
            assertTrue(e.getMessage().contains("unexpected keys (1): extra.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("final.weight (expected [2, 4], got [3, 4])"), e.getMessage());
        }
    }

    @Test
    void loadedValuesAreUsedAndFrozenParametersHaveNoGradient() {
        try (TensorArena a = TensorArena.open("m")) {
            Net n = new Net(a);
            Map<String, Tensor> sd = new LinkedHashMap<>();
            n.namedParameters().forEach((k, p) -> sd.put(k, Tensor.full(p.value().dtype(), 0.5, p.value().shape())));
            n.loadStateDict(sd, true, true);
            assertEquals(0.5, n.b0.qkv.weight.value().get(3, 2));
            n.setTrainable(false);
            n.out.setTrainable(true);
            assertEquals(2, n.trainableParameters().size());
            assertFalse(n.b0.qkv.weight.var().requiresGrad());
        }
    }

    @Test
    void weightsReplacedByLoadedViewsAreNeverAllocated() {
        try (TensorArena a = TensorArena.open("m")) {
            Net n = new Net(a);
            assertEquals(0, a.bytes(), "declaring weights allocates nothing");
            Map<String, Tensor> sd = new LinkedHashMap<>();
            try (TensorArena file = TensorArena.open("file")) {
                n.namedParameters().forEach((k, p) -> sd.put(k, Tensor.full(p.dtype(), 0.25, p.shape())));
                n.loadStateDict(sd, true, false);
                assertEquals(0, a.bytes(), "loading views must not allocate the declared weights");
                assertEquals(0.25, n.b1.qkv.weight.value().get(0, 0));
            }
        }
    }
}
