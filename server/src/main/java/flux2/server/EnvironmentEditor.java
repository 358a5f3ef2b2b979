package flux2.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.TrainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads, validates and saves the files of environments, and creates environments from the embedded example or as
 * copies. Every save is checked by the trainer's own config loader first, with the file's new content in place of
 * the old: a config that does not validate is not written, and the answer carries the loader's messages (file, key
 * and what is allowed), the ones the command line prints.
 */
public final class EnvironmentEditor {
    private final ProjectRoot root;
    private final Environments envs;
    private final Map<String, String> processEnv;

    public EnvironmentEditor(ProjectRoot root, Environments envs, Map<String, String> processEnv) {
        this.root = root;
        this.envs = envs;
        this.processEnv = Map.copyOf(processEnv);
    }

    /** The loader the trainer uses, with paths relative to the project folder. */
    public ConfigLoader loader() {
        return new ConfigLoader(root.dir(), processEnv);
    }

    /** The validated config of {@code env} with {@code overrides} ("--key value" pairs); a {@link ConfigException} otherwise. */
    public TrainConfig load(Environments.Env env, List<String> overrides) {
        return loader().load(env.config(), overrides);
    }

    /** The problems (errors and warnings) of {@code env} as it is on disk; empty when it validates without warnings. */
    public List<ConfigProblem> problems(Environments.Env env) {
        try {
            return load(env, List.of()).warnings();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    /** The text of one of the environment's files; a 404 when it does not exist. */
    public String read(Environments.Env env, String fileName) throws IOException {
        Path f = envs.file(env, fileName);
        if (!Files.isRegularFile(f)) throw ApiError.notFound(root.display(f) + " does not exist");
        return Files.readString(f, StandardCharsets.UTF_8);
    }

    /** What a save wrote and the loader's warnings. */
    public record Saved(Path file, List<ConfigProblem> warnings) {}

    /**
     * Validates the environment with {@code content} as its {@code fileName} and writes it (atomically) when it
     * validates; a 400 with the loader's problems otherwise, and nothing is written.
     */
    public Saved save(Environments.Env env, String fileName, String content) throws IOException {
        Path f = envs.file(env, fileName);
        Bodies.parse(content, fileName);
        TrainConfig c;
        try {
            c = loader().withContents(Map.of(f, content)).load(env.config(), List.of());
        } catch (ConfigException e) {
            throw invalid(e);
        }
        AtomicFiles.write(f, content.endsWith("\n") ? content : content + "\n");
        return new Saved(f, c.warnings());
    }

    /** The 400 of a config that does not validate: its first problem as the message, and every problem one by one. */
    public static ApiError invalid(ConfigException e) {
        List<ConfigProblem> all = e.problems();
        String first = all.isEmpty() ? e.getMessage() : all.getFirst().toString();
        return new ApiError(400, all.size() > 1 ? first + " (and " + (all.size() - 1) + " more problems)" : first, problemList(all));
    }

    /** Problems as JSON-ready maps: file, key, message, and the line the command line prints. */
    public static List<Map<String, String>> problemList(List<ConfigProblem> problems) {
        List<Map<String, String>> out = new ArrayList<>();
        for (ConfigProblem p : problems) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("file", p.file());
            m.put("key", p.key());
            m.put("message", p.message());
            m.put("text", p.toString());
            out.add(m);
        }
        return out;
    }

    /** Creates environment {@code name} from the embedded example; a 409 when it exists. */
    public Environments.Env createFromExample(String name) throws IOException {
        Path folder = newFolder(name);
        ExampleProject.write(root, folder, name);
        return envs.get(name);
    }

    /**
     * Creates environment {@code name} as a copy of {@code from}: its three files, with config.json naming the copies
     * of multidatabackend.json and user_prompt_library.json and writing to {@code output/<name>}, and the caches under
     * the old output folder moved to the new one (two environments never write into one folder). Datasets and the
     * model are shared.
     */
    public Environments.Env copy(String from, String name) throws IOException {
        Environments.Env src = envs.get(from);
        Path folder = newFolder(name);
        JsonNode parsed = Bodies.parse(Files.readString(src.config()), root.display(src.config()));
        if (!parsed.isObject()) throw ApiError.badRequest(root.display(src.config()) + " is not a JSON object of settings: fix it before copying");
        ObjectNode config = (ObjectNode) parsed;
        String base = root.display(folder);
        String oldOutput = text(config, "output_dir");
        String newOutput = "output/" + name;
        var pretty = Bodies.JSON.writerWithDefaultPrettyPrinter();
        Path backends = envs.file(src, "multidatabackend.json");
        if (Files.isRegularFile(backends)) {
            JsonNode list = Bodies.parse(Files.readString(backends), root.display(backends));
            if (list.isArray() && oldOutput != null)
                for (JsonNode d : (ArrayNode) list)
                    if (d.isObject()) for (String k : List.of("cache_dir_vae", "cache_dir")) moveUnder((ObjectNode) d, k, oldOutput, newOutput);
            AtomicFiles.write(folder.resolve("multidatabackend.json"), pretty.writeValueAsString(list) + "\n");
            config.put(key(config, "data_backend_config"), base + "/multidatabackend.json");
        }
        Path library = envs.file(src, "user_prompt_library.json");
        if (Files.isRegularFile(library)) {
            AtomicFiles.write(folder.resolve("user_prompt_library.json"), Files.readString(library));
            config.put(key(config, "user_prompt_library"), base + "/user_prompt_library.json");
        }
        config.put(key(config, "output_dir"), newOutput);
        AtomicFiles.write(folder.resolve("config.json"), pretty.writeValueAsString(config) + "\n");
        return envs.get(name);
    }

    private Path newFolder(String name) throws IOException {
        Path folder = envs.folderOf(name);
        if (Files.exists(folder.resolve("config.json"))) throw ApiError.conflict("environment '" + name + "' exists already (" + root.display(folder.resolve("config.json")) + ")");
        return Files.createDirectories(folder);
    }

    /** How the file spells {@code key} (with or without SimpleTuner's optional leading "--"). */
    private static String key(ObjectNode config, String key) {
        return !config.has(key) && config.has("--" + key) ? "--" + key : key;
    }

    private static String text(ObjectNode config, String key) {
        JsonNode v = config.get(key(config, key));
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    private static void moveUnder(ObjectNode d, String key, String oldPrefix, String newPrefix) {
        JsonNode v = d.get(key);
        if (v == null || !v.isTextual()) return;
        String old = Path.of(oldPrefix).normalize().toString(), value = Path.of(v.textValue()).normalize().toString();
        if (value.equals(old) || value.startsWith(old + "/")) d.put(key, newPrefix + value.substring(old.length()));
    }
}
