package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flux2.autograd.nn.Linear;
import flux2.model.flux2.lora.LoraTargets;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Flux2LinearsTest {
    @Test
    void sizesFromTheConfigAreTheBuiltModelsLinears() {
        for (Flux2Config c : List.of(new Flux2Config(8, 12, 16, 2, 2, 3, new int[]{2, 2, 2, 2}, 2000, 3.0, true),
                new Flux2Config(16, 24, 32, 2, 1, 2, new int[]{4, 4, 4, 4}, 2000, 2.5, false))) {
            try (TensorArena a = TensorArena.open("linears")) {
                Map<String, Flux2Linears.Size> built = new LinkedHashMap<>();
                for (Map.Entry<String, Linear> e : LoraTargets.linears(new Flux2Transformer(c, DType.F32, a)).entrySet())
                    built.put(e.getKey(), new Flux2Linears.Size(e.getValue().in, e.getValue().out));
                assertEquals(built, Flux2Linears.of(c), c.toString());
            }
        }
    }
}
