package flux2.model.flux2.lora;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.FiniteCheck;
import flux2.tensor.io.TensorInfo;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a FLUX.2 LoRA file in the diffusers ({@code transformer.<module>.lora_A/B.weight}), ComfyUI/official
 * ({@code diffusion_model.}, {@code transformer.} or bare official names, {@code .alpha}) or kohya
 * ({@code lora_unet_<name>.lora_down/lora_up.weight}, {@code .alpha}) layout into {@link LoraWeights} on the fused
 * official modules. Alpha comes from {@code .alpha} tensors, else from the PEFT metadata, else alpha = rank.
 * Separate q/k/v adapters become one fused adapter: their own A stacked, B block-diagonal (rank r_q + r_k + r_v),
 * unless they share A and scale (a fused adapter written split), which joins back to rank r exactly.
 * Weights and alphas must be finite: a NaN or infinity is refused naming the file and the tensor or metadata key.
 */
public final class LoraReader {
    private LoraReader() {}

    private static final List<String> PREFIXES = List.of("base_model.model.", "model.diffusion_model.", "diffusion_model.", "transformer.");
    private static final String KOHYA = "lora_unet_";
    private static final Map<String, Integer> SUFFIXES = Map.of(".lora_A.weight", 0, ".lora_B.weight", 1,
            ".lora_down.weight", 0, ".lora_up.weight", 1, ".alpha", 2);
    private static final List<String> CARRIED = List.of("modelspec.", "ss_", "global_step", "trained_words");

    /** One diffusers/official module's tensors as found in the file. */
    private static final class Found {
        final String module;
        final String[] keys = new String[3];
        final Tensor[] t = new Tensor[3];
        final boolean diffusersName;

        Found(String module, boolean diffusersName) {
            this.module = module;
            this.diffusersName = diffusersName;
        }
    }

    /** Reads {@code file}; tensors are copied into {@code arena} as F32, so the file is closed on return. */
    public static LoraWeights read(Path file, TensorArena arena) throws IOException {
        try (TensorSource src = Checkpoints.open(file)) {
            return read(src, arena);
        }
    }

    /** Reads an open source; all problems (unknown keys, missing halves, bad shapes) are reported in one exception. */
    public static LoraWeights read(TensorSource src, TensorArena arena) throws IOException {
        // intermediates (scaled blocks, converted alphas) are freed on return; results go to arena explicitly
        try (TensorArena scratch = TensorArena.open("lora-read")) {
            return readInto(src, arena);
        }
    }

    private static LoraWeights readInto(TensorSource src, TensorArena arena) throws IOException {
        List<String> unknown = new ArrayList<>(), problems = new ArrayList<>();
        // official module -> part index -> found tensors
        Map<String, Map<Integer, Found>> byOfficial = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, Boolean> swaps = new LinkedHashMap<>();
        boolean allBf16 = true;
        for (String key : src.names()) {
            String suffix = SUFFIXES.keySet().stream().filter(key::endsWith).findFirst().orElse(null);
            if (suffix == null) {
                unknown.add(key);
                continue;
            }
            String module = key.substring(0, key.length() - suffix.length());
            LoraNames.Part part = null;
            boolean diffusersName = false;
            if (module.startsWith(KOHYA)) {
                String official = LoraNames.fromKohya(module.substring(KOHYA.length()));
                if (official != null) part = new LoraNames.Part(official, 0, 1, false);
            } else {
                for (String p : PREFIXES)
                    if (module.startsWith(p)) {
                        module = module.substring(p.length());
                        break;
                    }
                if (LoraNames.isOfficial(module)) part = new LoraNames.Part(module, 0, 1, false);
                else {
                    part = LoraNames.fromDiffusers(module);
                    diffusersName = true;
                }
            }
            if (part == null) {
                unknown.add(key);
                continue;
            }
            Integer seenCount = counts.putIfAbsent(part.official(), part.count());
            if (seenCount != null && seenCount != part.count()) {
                problems.add(key + ": '" + part.official() + "' is given both fused and as q/k/v parts");
                continue;
            }
            swaps.put(part.official(), part.swapHalves());
            final String mod = module;
            final boolean dn = diffusersName;
            Found f = byOfficial.computeIfAbsent(part.official(), k -> new TreeMap<>()).computeIfAbsent(part.index(), k -> new Found(mod, dn));
            if (!f.module.equals(module)) {
                problems.add(key + ": '" + part.official() + "' is also given as '" + f.module + "'");
                continue;
            }
            int slot = SUFFIXES.get(suffix);
            TensorInfo info = src.info(key);
            if (slot < 2 && info.dtype() != DType.BF16) allBf16 = false;
            if (f.t[slot] != null) problems.add(key + ": same tensor as " + f.keys[slot]);
            f.keys[slot] = key;
            f.t[slot] = src.tensor(key);
        }

        PeftMetadata.Parsed peft = PeftMetadata.read(src.metadata().get(PeftMetadata.KEY), src.describe());
        Map<String, LoraWeights.Adapter> adapters = new LinkedHashMap<>();
        for (var e : byOfficial.entrySet()) {
            List<LoraWeights.Adapter> parts = new ArrayList<>();
            List<Integer> indices = new ArrayList<>();
            boolean ok = true;
            for (var pe : e.getValue().entrySet()) {
                LoraWeights.Adapter a = adapter(pe.getValue(), peft, problems, arena);
                if (a == null) ok = false;
                else {
                    parts.add(a);
                    indices.add(pe.getKey());
                }
            }
            if (!ok) continue;
            int count = counts.get(e.getKey());
            LoraWeights.Adapter fused = count == 1 ? parts.get(0) : fuse(e.getKey(), parts, indices, count, problems, arena);
            if (fused == null) continue;
            if (swaps.get(e.getKey())) fused = new LoraWeights.Adapter(fused.a(), swapHalves(fused.b(), arena), fused.alpha());
            adapters.put(e.getKey(), fused);
        }
        if (adapters.isEmpty() && unknown.isEmpty() && problems.isEmpty()) problems.add("no LoRA tensors found");
        if (!unknown.isEmpty() || !problems.isEmpty()) {
            StringBuilder sb = new StringBuilder(src.describe() + " is not a FLUX.2 LoRA file this trainer can read:");
            if (!unknown.isEmpty()) sb.append("\n  unknown keys (").append(unknown.size()).append("): ").append(String.join(", ", unknown));
            for (String p : problems) sb.append("\n  ").append(p);
            throw new IllegalArgumentException(sb.toString());
        }
        Map<String, String> carried = new LinkedHashMap<>();
        src.metadata().forEach((k, v) -> {
            if (CARRIED.stream().anyMatch(k::startsWith)) carried.put(k, v);
        });
        return new LoraWeights(adapters, allBf16 ? DType.BF16 : DType.F32, peft == null ? 0 : peft.dropout(),
                peft == null ? "true" : peft.init(), carried);
    }

    /** The adapter of one module: A, B, and alpha (tensor, metadata, or rank), copied to F32. */
    private static LoraWeights.Adapter adapter(Found f, PeftMetadata.Parsed peft, List<String> problems, TensorArena arena) {
        String name = f.keys[0] != null ? f.keys[0] : f.keys[1] != null ? f.keys[1] : f.keys[2];
        if (f.t[0] == null || f.t[1] == null) {
            problems.add(name + ": no matching " + (f.t[0] == null ? "lora_A / lora_down" : "lora_B / lora_up") + " weight");
            return null;
        }
        Tensor a = f.t[0], b = f.t[1];
        if (a.rank() != 2 || b.rank() != 2 || a.size(0) != b.size(1)) {
            problems.add(name + ": A " + Arrays.toString(a.shape()) + " and B " + Arrays.toString(b.shape()) + " do not form an adapter");
            return null;
        }
        double alpha = a.size(0);
        if (f.t[2] != null) {
            if (f.t[2].numel() != 1) {
                problems.add(f.keys[2] + ": alpha must be one number, got shape " + Arrays.toString(f.t[2].shape()));
                return null;
            }
            alpha = f.t[2].to(DType.F32).toFloatArray()[0];
            if (!Double.isFinite(alpha)) {
                problems.add(f.keys[2] + ": alpha is " + alpha + ", not a finite number");
                return null;
            }
        } else if (peft != null && f.diffusersName && peft.alpha(f.module) != null) alpha = peft.alpha(f.module);
        // the file is read once, into the F32 copies; those are checked in memory
        Tensor a32 = LoraWeights.f32(a, arena), b32 = LoraWeights.f32(b, arena);
        boolean finite = true;
        for (int i = 0; i < 2; i++) {
            String bad = FiniteCheck.problem(i == 0 ? a32 : b32);
            if (bad != null) {
                problems.add(f.keys[i] + ": " + bad);
                finite = false;
            }
        }
        return finite ? new LoraWeights.Adapter(a32, b32, alpha) : null;
    }

    /** One fused adapter from q/k/v parts (some may be absent: their rows stay zero). */
    private static LoraWeights.Adapter fuse(String official, List<LoraWeights.Adapter> parts, List<Integer> indices, int count,
                                            List<String> problems, TensorArena arena) {
        LoraWeights.Adapter first = parts.get(0);
        for (LoraWeights.Adapter p : parts)
            if (p.in() != first.in() || p.out() != first.out()) {
                problems.add("'" + official + "': its q/k/v adapters disagree in shape");
                return null;
            }
        int out = first.out();
        boolean shared = parts.size() == count && parts.stream().allMatch(p -> p.scale() == first.scale() && p.rank() == first.rank()
                && Arrays.equals(p.a().toFloatArray(), first.a().toFloatArray()));
        if (shared) {
            Tensor b = Tensor.allocate(first.b().backend(), DType.F32, new int[]{out * count, first.rank()}, arena);
            for (int i = 0; i < count; i++) b.narrow(0, i * out, out).copyFrom(parts.get(i).b());
            return new LoraWeights.Adapter(first.a(), b, first.alpha());
        }
        int rank = parts.stream().mapToInt(LoraWeights.Adapter::rank).sum();
        boolean sameScale = parts.stream().allMatch(p -> p.scale() == first.scale());
        Tensor a = Tensor.allocate(first.a().backend(), DType.F32, new int[]{rank, first.in()}, arena);
        Tensor b = Tensor.allocate(first.b().backend(), DType.F32, new int[]{out * count, rank}, arena);
        int col = 0;
        for (int i = 0; i < parts.size(); i++) {
            LoraWeights.Adapter p = parts.get(i);
            a.narrow(0, col, p.rank()).copyFrom(p.a());
            // with one shared scale the fused alpha keeps it; otherwise each part's scale goes into its B block
            Tensor block = sameScale ? p.b() : p.b().mul(p.scale());
            b.narrow(0, indices.get(i) * out, out).narrow(1, col, p.rank()).copyFrom(block);
            col += p.rank();
        }
        return new LoraWeights.Adapter(a, b, sameScale ? first.scale() * rank : rank);
    }

    private static Tensor swapHalves(Tensor b, TensorArena arena) {
        int half = b.size(0) / 2;
        Tensor out = Tensor.allocate(b.backend(), DType.F32, b.shape(), arena);
        out.narrow(0, 0, half).copyFrom(b.narrow(0, half, half));
        out.narrow(0, half, half).copyFrom(b.narrow(0, 0, half));
        return out;
    }
}
