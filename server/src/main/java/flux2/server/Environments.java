package flux2.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * SimpleTuner's environments in the project folder: {@code config/config.json} (named "default") and
 * {@code config/<name>/config.json}, each with the multidatabackend.json and user_prompt_library.json its config
 * names (or, when it names none, those beside it).
 */
public final class Environments {
    /** The name of config/config.json. */
    public static final String DEFAULT = "default";
    /** The files of an environment that can be read and edited. */
    public static final List<String> FILES = List.of("config.json", "multidatabackend.json", "user_prompt_library.json");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final ProjectRoot root;

    public Environments(ProjectRoot root) {
        this.root = root;
    }

    /** One environment: its name, its folder and its config.json. */
    public record Env(String name, Path folder, Path config) {}

    /** The environments that have a config.json, "default" first, then by name. */
    public List<Env> list() throws IOException {
        List<Env> out = new ArrayList<>();
        Path configDir = root.dir().resolve("config");
        if (Files.isRegularFile(configDir.resolve("config.json")) && root.contains(configDir.resolve("config.json")))
            out.add(new Env(DEFAULT, configDir, configDir.resolve("config.json")));
        if (!Files.isDirectory(configDir)) return out;
        try (Stream<Path> s = Files.list(configDir)) {
            for (Path d : s.sorted().toList()) {
                String n = d.getFileName().toString();
                if (NAME.matcher(n).matches() && !n.equals(DEFAULT) && Files.isRegularFile(d.resolve("config.json")) && root.contains(d.resolve("config.json")))
                    out.add(new Env(n, d, d.resolve("config.json")));
            }
        }
        return out;
    }

    /** The environment {@code name}; a 404 when it has no config.json. */
    public Env get(String name) {
        Path folder = folderOf(name);
        Path config = folder.resolve("config.json");
        if (!Files.isRegularFile(config))
            throw ApiError.notFound("no environment '" + name + "': " + root.display(config) + " does not exist");
        root.check(config);
        return new Env(name, folder, config);
    }

    /** The folder of environment {@code name}, which need not exist; 403 for a name that would leave config/, 400 for another bad name. */
    public Path folderOf(String name) {
        if (name == null || name.isEmpty()) throw ApiError.badRequest("empty environment name");
        if (name.contains("/") || name.contains("\\") || name.equals("..") || name.equals("."))
            throw ApiError.forbidden("environment name '" + name + "' is a path: a name is one folder under config/");
        if (!NAME.matcher(name).matches())
            throw ApiError.badRequest("environment name '" + name + "' is not allowed: use letters, digits, '_', '-' and '.', starting with a letter or digit, at most 64");
        Path configDir = root.dir().resolve("config");
        return root.check(name.equals(DEFAULT) ? configDir : configDir.resolve(name));
    }

    /**
     * The file {@code fileName} (one of {@link #FILES}) of {@code env}: config.json, or the file its
     * data_backend_config / user_prompt_library names (resolved as the trainer does: from the project folder, then
     * from the config's folder), or the one beside config.json when it names none. A 403 when that is outside the
     * project folder.
     */
    public Path file(Env env, String fileName) {
        if (!FILES.contains(fileName)) throw ApiError.notFound("no file '" + fileName + "' in an environment: one of " + String.join(", ", FILES));
        if (fileName.equals("config.json")) return env.config();
        String key = fileName.equals("multidatabackend.json") ? "data_backend_config" : "user_prompt_library";
        String named = namedIn(env.config(), key);
        if (named == null) return root.check(env.folder().resolve(fileName));
        Path p = Path.of(named);
        Path first = root.dir().resolve(p).normalize(), second = env.folder().resolve(p).normalize();
        return root.check(!Files.isRegularFile(first) && Files.isRegularFile(second) ? second : first);
    }

    /** The text value of {@code key} in a config.json, or null when the file or the key cannot be read. */
    static String namedIn(Path config, String key) {
        try {
            JsonNode n = Bodies.readFile(config);
            JsonNode v = n == null ? null : n.get(key);
            if (v == null) v = n == null ? null : n.get("--" + key);
            return v != null && v.isTextual() && !v.textValue().isBlank() ? v.textValue() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
