package flux2.trainer.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resolves pretrained_model_name_or_path (and the per-component overrides) to files on disk: a diffusers-layout
 * folder, a Hugging Face cache entry (models--org--name/snapshots/hash), or official single files. Never downloads.
 */
public final class ModelLocator {
    /** The hub repository SimpleTuner uses for each flavour when pretrained_model_name_or_path is unset. */
    public static final Map<TrainConfig.ModelFlavour, String> DEFAULT_REPOS = Map.of(TrainConfig.ModelFlavour.DEV, "black-forest-labs/FLUX.2-dev");

    private final Path workDir;
    private final Map<String, String> env;

    public ModelLocator(Path workDir, Map<String, String> env) {
        this.workDir = workDir;
        this.env = env;
    }

    /** The Hugging Face hub cache folders searched, in order: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub. */
    public List<Path> cacheRoots() {
        List<Path> roots = new ArrayList<>();
        if (env.get("HF_HUB_CACHE") != null) roots.add(Path.of(env.get("HF_HUB_CACHE")));
        if (env.get("HF_HOME") != null) roots.add(Path.of(env.get("HF_HOME"), "hub"));
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        if (home != null) roots.add(Path.of(home, ".cache", "huggingface", "hub"));
        return roots.stream().distinct().toList();
    }

    /**
     * Locates every part of the model; problems (not found, a part missing) go to {@code problems} under
     * {@code file}. Returns null when the model cannot be located.
     */
    public ModelLocation locate(String file, String nameOrPath, String transformerOverride, String vaeOverride,
                                String textEncoderOverride, Problems problems) {
        String key = "pretrained_model_name_or_path";
        Path root = null;
        Path transformer = null;
        if (nameOrPath != null) {
            Path p = resolveLocalOrHub(file, key, nameOrPath, problems);
            if (p == null) return null;
            if (Files.isRegularFile(p)) transformer = p; // an official single file for the transformer
            else root = p;
        }
        if (transformerOverride != null) transformer = component(file, "pretrained_transformer_model_name_or_path", transformerOverride, "transformer", problems);
        else if (root != null) transformer = root.resolve("transformer");
        Path vae = vaeOverride != null ? component(file, "pretrained_vae_model_name_or_path", vaeOverride, "vae", problems)
                : root != null ? root.resolve("vae") : null;
        Path te = textEncoderOverride != null ? component(file, "pretrained_text_encoder_model_name_or_path", textEncoderOverride, "text_encoder", problems)
                : root != null ? root.resolve("text_encoder") : null;
        Path tok = null;
        if (te != null) tok = hasTokenizerFiles(te) ? te : te.getParent() != null ? te.getParent().resolve("tokenizer") : null;
        if (textEncoderOverride == null && root != null) tok = root.resolve("tokenizer");

        boolean ok = checkWeights(file, "pretrained_transformer_model_name_or_path", "transformer", transformer, problems)
                & checkWeights(file, "pretrained_vae_model_name_or_path", "vae", vae, problems)
                & checkWeights(file, "pretrained_text_encoder_model_name_or_path", "text_encoder", te, problems);
        if (tok == null || !hasTokenizerFiles(tok)) {
            problems.error(file, key, "no tokenizer found" + (tok != null ? " at " + tok : "") + " (a folder with tokenizer.json or tekken.json)");
            ok = false;
        }
        return ok ? new ModelLocation(nameOrPath, transformer, vae, te, tok) : null;
    }

    /** A local file/folder or a hub id found in the cache; reports where it looked when neither. */
    private Path resolveLocalOrHub(String file, String key, String value, Problems problems) {
        Path local = workDir.resolve(expandHome(value));
        if (Files.exists(local)) return isHubCacheRepo(local) ? snapshot(local) : local;
        List<String> looked = new ArrayList<>(List.of(local.toString()));
        if (value.matches("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            String folder = "models--" + value.replace("/", "--");
            for (Path r : cacheRoots()) {
                Path repo = r.resolve(folder);
                Path snap = Files.isDirectory(repo) ? snapshot(repo) : null;
                if (snap != null) return snap;
                looked.add(repo + "/snapshots/*");
            }
            problems.error(file, key, "'" + value + "' is not a local path and is not in the Hugging Face cache (this trainer does not download); looked in: "
                    + String.join(", ", looked) + ". Download it first (for example `huggingface-cli download " + value + "`) or give a local folder");
        } else {
            problems.error(file, key, "'" + value + "' does not exist (looked at " + local + ")");
        }
        return null;
    }

    private Path component(String file, String key, String value, String subfolder, Problems problems) {
        Path p = resolveLocalOrHub(file, key, value, problems);
        if (p == null) return null;
        return Files.isDirectory(p.resolve(subfolder)) ? p.resolve(subfolder) : p;
    }

    private static boolean isHubCacheRepo(Path p) {
        return p.getFileName() != null && p.getFileName().toString().startsWith("models--") && Files.isDirectory(p.resolve("snapshots"));
    }

    /** The snapshot named by refs/main, else the most recently modified one. */
    private static Path snapshot(Path repo) {
        try {
            Path ref = repo.resolve("refs").resolve("main");
            if (Files.isRegularFile(ref)) {
                Path s = repo.resolve("snapshots").resolve(Files.readString(ref).trim());
                if (Files.isDirectory(s)) return s;
            }
            Path snaps = repo.resolve("snapshots");
            if (!Files.isDirectory(snaps)) return null;
            try (Stream<Path> s = Files.list(snaps)) {
                return s.filter(Files::isDirectory).max(Comparator.comparing(ModelLocator::modified)).orElse(null);
            }
        } catch (IOException e) {
            return null;
        }
    }

    private static long modified(Path p) {
        try { return Files.getLastModifiedTime(p).toMillis(); } catch (IOException e) { return 0; }
    }

    private static boolean checkWeights(String file, String key, String part, Path p, Problems problems) {
        if (p == null) {
            problems.error(file, key, "no " + part + " weights: set pretrained_model_name_or_path to a diffusers folder or hub id, or " + key + " to a file or folder");
            return false;
        }
        if (Files.isRegularFile(p) && p.toString().endsWith(".safetensors")) return true;
        if (Files.isDirectory(p)) {
            try (Stream<Path> s = Files.list(p)) {
                if (s.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors") || f.getFileName().toString().endsWith(".safetensors.index.json")))
                    return true;
            } catch (IOException ignored) {
                // reported below
            }
        }
        problems.error(file, key, "no " + part + " weights at " + p + " (expected a .safetensors file or a folder holding .safetensors files)");
        return false;
    }

    private static boolean hasTokenizerFiles(Path p) {
        return Files.isRegularFile(p.resolve("tokenizer.json")) || Files.isRegularFile(p.resolve("tekken.json"));
    }

    private String expandHome(String v) {
        if (!v.startsWith("~/")) return v;
        return env.getOrDefault("HOME", System.getProperty("user.home")) + v.substring(1);
    }
}
