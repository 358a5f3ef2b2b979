package flux2.model.flux2.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.nn.Linear;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.ClientRules.Loaded;
import flux2.model.flux2.lora.ClientRules.Patch;
import flux2.model.flux2.lora.ClientRules.Rows;
import flux2.model.flux2.lora.ClientRules.T;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file the trainer writes, loaded key by key with the rules of ComfyUI and diffusers ({@link ClientRules}),
 * at the tiny size and at FLUX.2-dev size (synthetic rank-2 adapters of the full shapes): which client loads which
 * file fully, and at which strength.
 */
class LoraClientKeysTest {
    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 2000, 3.0, true);

    @TempDir Path dir;

    static Stream<Arguments> sizes() {
        return Stream.of(Arguments.of("tiny", TINY), Arguments.of("FLUX.2-dev", Flux2Config.dev()));
    }

    /** Every block module ("all") and the top-level modules every loader maps. */
    private static List<String> targets(Flux2Config c) {
        Set<String> top = Set.of("img_in", "txt_in", "time_in.in_layer", "time_in.out_layer", "final_layer.linear");
        return ClientRules.officialShapes(c).keySet().stream()
                .filter(m -> m.startsWith("double_blocks.") || m.startsWith("single_blocks.") || top.contains(m)).toList();
    }

    /** Random adapters of rank 2 on {@code modules}, alpha 3 (linear2: alpha 1), trained with dropout 0.1. */
    private static LoraWeights synthetic(Flux2Config c, List<String> modules, TensorArena a) {
        Map<String, int[]> shapes = ClientRules.officialShapes(c);
        Rng rng = new Rng(5);
        Map<String, LoraWeights.Adapter> ads = new LinkedHashMap<>();
        try (var s = a.enter()) {
            for (String m : modules) {
                int[] oi = shapes.get(m);
                ads.put(m, new LoraWeights.Adapter(rng.normal(0, 0.5, 2, oi[1]), rng.normal(0, 0.5, oi[0], 2), m.endsWith("linear2") ? 1 : 3));
            }
        }
        return new LoraWeights(ads, DType.F32, 0.1, "true", Map.of());
    }

    private static T t(flux2.tensor.Tensor x) { return new T(x.toFloatArray(), x.shape()); }

    private static Patch expected(String module, LoraWeights.Adapter ad) {
        return new Patch(module, 0, t(ad.a()), t(ad.b()), ad.scale());
    }

    /** ComfyUI patches official weights: the sum of the patches of each module is its trained update, exactly. */
    private static void assertComfyApplies(String what, LoraWeights w, Loaded got) {
        assertEquals(List.of(), got.notLoaded(), what + ": ComfyUI's \"lora key not loaded\"");
        Map<String, List<Patch>> by = new LinkedHashMap<>();
        got.patches().forEach(p -> by.computeIfAbsent(p.module(), k -> new ArrayList<>()).add(p));
        assertEquals(w.adapters().keySet(), by.keySet(), what);
        Random rnd = new Random(1);
        w.adapters().forEach((m, ad) -> {
            double[] x = rnd.doubles(ad.in(), -1, 1).toArray();
            double[] want = ClientRules.apply(expected(m, ad), x), have = new double[want.length];
            for (Patch p : by.get(m)) {
                double[] y = ClientRules.apply(p, x);
                for (int i = 0; i < y.length; i++) have[p.row() + i] += y[i];
            }
            assertClose(what + " " + m, want, have);
        });
    }

    /** Diffusers patches its own modules: each gets its rows of the trained update, exactly. */
    private static void assertDiffusersApplies(String what, LoraWeights w, Loaded got, Flux2Config c) {
        assertEquals(List.of(), got.notLoaded(), what + ": keys diffusers did not load");
        Map<String, Patch> by = new LinkedHashMap<>();
        got.patches().forEach(p -> assertNull(by.put(p.module(), p), what + ": " + p.module() + " twice"));
        Set<String> want = new LinkedHashSet<>();
        Random rnd = new Random(1);
        w.adapters().forEach((m, ad) -> {
            double[] x = rnd.doubles(ad.in(), -1, 1).toArray();
            double[] full = ClientRules.apply(expected(m, ad), x);
            for (Rows r : ClientRules.diffusersModules(c).get(m)) {
                want.add(r.module());
                Patch p = by.get(r.module());
                assertTrue(p != null, what + ": no adapter on " + r.module());
                double[] part = new double[r.rows()];
                System.arraycopy(full, r.row(), part, 0, r.rows());
                assertClose(what + " " + r.module(), part, ClientRules.apply(p, x));
            }
        });
        assertEquals(want, by.keySet(), what);
    }

    /** Equal to float rounding: relative L2 distance at most 1e-6. */
    private static void assertClose(String what, double[] want, double[] got) {
        assertEquals(want.length, got.length, what);
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (want[i] - got[i]) * (want[i] - got[i]);
            den += want[i] * want[i];
        }
        assertTrue(Math.sqrt(num / den) <= 1e-6, what + ": relative L2 distance " + Math.sqrt(num / den));
    }

    @Test
    void theStatedModuleTablesAreTheModelsOwn() {
        try (TensorArena a = TensorArena.create("t")) {
            Map<String, Linear> linears = LoraTargets.linears(new Flux2Transformer(TINY, DType.F32, a));
            Map<String, int[]> shapes = ClientRules.officialShapes(TINY);
            assertEquals(new LinkedHashSet<>(linears.keySet()), new LinkedHashSet<>(shapes.keySet()));
            linears.forEach((n, l) -> assertEquals(List.of(l.out, l.in), List.of(shapes.get(n)[0], shapes.get(n)[1]), n));
        }
        // this trainer's diffusers names are the ones diffusers' converter gives (q/k/v in order)
        for (Flux2Config c : List.of(TINY, Flux2Config.dev()))
            ClientRules.diffusersModules(c).forEach((o, rows) ->
                    assertEquals(rows.stream().map(Rows::module).toList(), LoraNames.toDiffusers(o), o));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sizes")
    void theComfyuiFileLoadsFullyInBothClientsAndTheOthersWhereTheySay(String size, Flux2Config c) throws Exception {
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = synthetic(c, targets(c), a);
            Path run = Files.createDirectories(dir.resolve("run"));
            LoraFiles.saveForClients(run, w, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
            Path diffusers = run.resolve(LoraFiles.FILE_NAME), universal = run.resolve(LoraFiles.COMFYUI_FILE_NAME);
            Path comfyAlpha = dir.resolve("comfy_alpha.safetensors"), kohya = dir.resolve("kohya.safetensors");
            LoraWriter.write(comfyAlpha, w, LoraWriter.Options.of(LoraFormat.COMFYUI, DType.F32));
            LoraWriter.write(kohya, w, LoraWriter.Options.of(LoraFormat.KOHYA, DType.F32));

            // the universal file: official names under diffusion_model., no .alpha, no PEFT metadata
            Map<String, T> u = ClientRules.tensors(universal);
            assertTrue(u.keySet().stream().allMatch(k -> k.startsWith("diffusion_model.") && (k.endsWith(".lora_A.weight") || k.endsWith(".lora_B.weight"))), u.keySet().toString());
            assertFalse(ClientRules.metadata(universal).containsKey("lora_adapter_metadata"));
            assertComfyApplies(size + " universal in ComfyUI", w, ClientRules.comfyLoad(u, c));
            assertDiffusersApplies(size + " universal in diffusers", w, ClientRules.diffusersLoad(u, ClientRules.metadata(universal), c), c);

            // the diffusers file: diffusers exactly, with inference dropout; ComfyUI only in part, ignoring lora_alpha
            Map<String, T> d = ClientRules.tensors(diffusers);
            Loaded inDiffusers = ClientRules.diffusersLoad(d, ClientRules.metadata(diffusers), c);
            assertDiffusersApplies(size + " diffusers file in diffusers", w, inDiffusers, c);
            assertEquals(0, inDiffusers.dropout(), "lora_dropout in the exported metadata");
            Loaded inComfy = ClientRules.comfyLoad(d, c);
            assertTrue(inComfy.notLoaded().stream().anyMatch(k -> k.contains(".ff.linear_in.")), "ComfyUI's FLUX.1 table has no ff.linear_in");
            assertTrue(inComfy.notLoaded().stream().anyMatch(k -> k.contains("single_transformer_blocks.")));
            assertTrue(inComfy.patches().stream().allMatch(p -> p.scale() == 1.0), "ComfyUI reads no lora_adapter_metadata");
            assertNotEquals(1.0, w.adapters().get("double_blocks.0.img_attn.qkv").scale());

            // the ComfyUI file with .alpha: exact in ComfyUI, refused by diffusers' converter
            Map<String, T> ca = ClientRules.tensors(comfyAlpha);
            assertComfyApplies(size + " comfyui+alpha in ComfyUI", w, ClientRules.comfyLoad(ca, c));
            var e = assertThrows(ClientRules.Refused.class, () -> ClientRules.diffusersLoad(ca, ClientRules.metadata(comfyAlpha), c));
            assertTrue(e.getMessage().contains(".alpha"), e.getMessage());

            // the kohya file: exact in both (ComfyUI's lora_unet_ names, diffusers' kohya converter)
            Map<String, T> k = ClientRules.tensors(kohya);
            assertTrue(k.keySet().stream().allMatch(n -> n.startsWith("lora_unet_")
                    && (n.endsWith(".lora_down.weight") || n.endsWith(".lora_up.weight") || n.endsWith(".alpha"))), k.keySet().toString());
            assertTrue(k.containsKey("lora_unet_double_blocks_0_img_attn_qkv.alpha") && k.containsKey("lora_unet_single_blocks_0_linear1.lora_up.weight"));
            assertComfyApplies(size + " kohya in ComfyUI", w, ClientRules.comfyLoad(k, c));
            assertDiffusersApplies(size + " kohya in diffusers", w, ClientRules.diffusersLoad(k, Map.of(), c), c);
            // A and B of 12 diffusers modules per double block, 2 per single block, and the 5 top-level ones
            assertEquals(2 * (c.depth() * 12 + c.depthSingleBlocks() * 2 + 5), d.size(), "diffusers keys");
        }
    }

    /**
     * diffusers keeps norm_out.linear as [scale | shift], the official module as [shift | scale], and its converter of
     * official names does not swap a LoRA's rows: only the diffusers file puts that adapter right, and the end of
     * training says so when the LoRA has one.
     */
    @Test
    void theFinalModulationNeedsTheDiffusersFileInDiffusers() throws Exception {
        String m = LoraFiles.SWAPPED_MODULE;
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = synthetic(TINY, List.of(m, "single_blocks.0.linear1"), a);
            Path run = Files.createDirectories(dir.resolve("run"));
            LoraFiles.saveForClients(run, w, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
            Path d = run.resolve(LoraFiles.FILE_NAME), u = run.resolve(LoraFiles.COMFYUI_FILE_NAME);
            assertComfyApplies("universal in ComfyUI", w, ClientRules.comfyLoad(ClientRules.tensors(u), TINY));
            Patch own = ClientRules.diffusersLoad(ClientRules.tensors(d), ClientRules.metadata(d), TINY).patches().stream()
                    .filter(p -> p.module().equals("norm_out.linear")).findFirst().orElseThrow();
            Patch converted = ClientRules.diffusersLoad(ClientRules.tensors(u), ClientRules.metadata(u), TINY).patches().stream()
                    .filter(p -> p.module().equals("norm_out.linear")).findFirst().orElseThrow();
            double[] x = new Random(2).doubles(16, -1, 1).toArray();
            double[] want = ClientRules.apply(expected(m, w.adapters().get(m)), x), mine = ClientRules.apply(own, x), theirs = ClientRules.apply(converted, x);
            double[] swapped = new double[want.length];
            for (int i = 0; i < want.length; i++) swapped[i] = want[(i + want.length / 2) % want.length];
            assertClose("diffusers file, norm_out.linear", swapped, mine);
            assertClose("ComfyUI file in diffusers: unswapped", want, theirs);
            assertEquals(3, LoraFiles.whereEachGoes(run, LoraFormat.DIFFUSERS, w.adapters().keySet()).size());
            assertTrue(LoraFiles.whereEachGoes(run, LoraFormat.DIFFUSERS, w.adapters().keySet()).get(2).contains("give diffusers " + LoraFiles.FILE_NAME));
            assertEquals(2, LoraFiles.whereEachGoes(run, LoraFormat.DIFFUSERS, List.of("single_blocks.0.linear1")).size());
        }
    }

    /** Every layout the trainer writes, as convert-lora's options make them. */
    private static final Map<String, LoraWriter.Options> LAYOUTS = new LinkedHashMap<>();

    static {
        LAYOUTS.put("diffusers", LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
        LAYOUTS.put("comfyui", LoraWriter.Options.of(LoraFormat.COMFYUI, DType.F32));
        LAYOUTS.put("comfyui --no-alpha", LoraWriter.Options.of(LoraFormat.COMFYUI, DType.F32).withoutAlpha());
        LAYOUTS.put("kohya", LoraWriter.Options.of(LoraFormat.KOHYA, DType.F32));
        LAYOUTS.put("kohya --no-alpha", LoraWriter.Options.of(LoraFormat.KOHYA, DType.F32).withoutAlpha());
        LAYOUTS.put("diffusers --bake-scale", LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32).withBakeScale(true));
    }

    @Test
    void roundTripsBetweenEveryPairOfLayoutsAreExact() throws Exception {
        List<String> modules = new ArrayList<>(ClientRules.officialShapes(TINY).keySet());
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = synthetic(TINY, modules, a);
            for (var from : LAYOUTS.entrySet())
                for (var to : LAYOUTS.entrySet()) {
                    String what = from.getKey() + " -> " + to.getKey();
                    Path first = dir.resolve("first.safetensors"), second = dir.resolve("second.safetensors");
                    LoraWriter.write(first, w, from.getValue());
                    LoraWriter.write(second, LoraReader.read(first, a), to.getValue());
                    LoraWeights back = LoraReader.read(second, a);
                    assertEquals(w.adapters().keySet(), back.adapters().keySet(), what);
                    Random rnd = new Random(3);
                    w.adapters().forEach((m, ad) -> {
                        double[] x = rnd.doubles(ad.in(), -1, 1).toArray();
                        assertClose(what + " " + m, ClientRules.apply(expected(m, ad), x), ClientRules.apply(expected(m, back.adapters().get(m)), x));
                    });
                }
        }
    }

    @Test
    void exportedMetadataDescribesTheAdapterForInference() throws Exception {
        Path file = dir.resolve("d.safetensors");
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = synthetic(TINY, List.of("double_blocks.0.img_attn.qkv"), a);
            assertEquals(0.1, w.dropout());
            LoraWriter.write(file, w, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
            String peft = ClientRules.metadata(file).get("lora_adapter_metadata");
            assertTrue(peft.contains("\"transformer.lora_dropout\": 0") || peft.contains("\"transformer.lora_dropout\":0"), peft);
            assertEquals(0, ClientRules.Peft.of(peft).dropout());
        }
    }
}
