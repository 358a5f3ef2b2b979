package flux2.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The embedded example (the repository's examples/tiny, packed into the jar): written into a new environment with
 * its paths rewritten for it. Its images go to the environment's data/ folder, the miniature model once to
 * {@code models/flux2-tiny} (shared by the environments made from it), outputs and caches to {@code output/<name>}.
 */
public final class ExampleProject {
    /** Where the model goes in the project folder. */
    public static final String MODEL_DIR = "models/flux2-tiny";
    private static final String RESOURCE = "/flux2/server/example/tiny/";

    private ExampleProject() {}

    /** Writes the example into {@code folder} (the environment's, relative to the project folder {@code root}) as environment {@code name}. */
    public static void write(ProjectRoot root, Path folder, String name) throws IOException {
        String base = root.display(folder);
        String output = "output/" + name;
        withExample(src -> {
            Path model = root.check(root.dir().resolve(MODEL_DIR));
            if (!Files.isDirectory(model)) {
                // whole or not at all: a model folder cut short by a crash would be taken as complete next time
                Path tmp = model.resolveSibling("." + model.getFileName() + ".tmp");
                deleteTree(tmp);
                copyTree(src.resolve("model"), tmp);
                Files.move(tmp, model, StandardCopyOption.ATOMIC_MOVE);
            }
            copyTree(src.resolve("data"), folder.resolve("data"));

            ObjectNode config = (ObjectNode) Bodies.readFile(src.resolve("config.json"));
            config.put("pretrained_model_name_or_path", MODEL_DIR);
            config.put("output_dir", output);
            config.put("data_backend_config", base + "/multidatabackend.json");
            config.put("user_prompt_library", base + "/user_prompt_library.json");
            ArrayNode backends = (ArrayNode) Bodies.readFile(src.resolve("multidatabackend.json"));
            for (JsonNode d : backends) {
                ObjectNode o = (ObjectNode) d;
                if (o.has("instance_data_dir")) o.put("instance_data_dir", base + "/data");
                if (o.has("cache_dir_vae")) o.put("cache_dir_vae", output + "/cache/vae");
                if (o.has("cache_dir")) o.put("cache_dir", output + "/cache/text");
            }
            var pretty = Bodies.JSON.writerWithDefaultPrettyPrinter();
            AtomicFiles.write(folder.resolve("multidatabackend.json"), pretty.writeValueAsString(backends) + "\n");
            AtomicFiles.write(folder.resolve("user_prompt_library.json"), Files.readString(src.resolve("user_prompt_library.json")));
            // config.json last: an environment exists once its config.json does
            AtomicFiles.write(folder.resolve("config.json"), pretty.writeValueAsString(config) + "\n");
        });
    }

    /** Work on the example's folder, whether the classes run from a folder or from the jar. */
    private interface ExampleWork {
        void run(Path example) throws IOException;
    }

    private static void withExample(ExampleWork work) throws IOException {
        URL url = ExampleProject.class.getResource(RESOURCE + "config.json");
        if (url == null) throw new IOException("the embedded example is missing from the classpath (" + RESOURCE + ")");
        URI uri;
        try {
            uri = url.toURI();
        } catch (URISyntaxException e) {
            throw new IOException("cannot read the embedded example at " + url, e);
        }
        if (!uri.getScheme().equals("jar")) {
            work.run(Path.of(uri).getParent());
            return;
        }
        FileSystem fs;
        boolean opened = false;
        try {
            fs = FileSystems.newFileSystem(uri, Map.of());
            opened = true;
        } catch (FileSystemAlreadyExistsException e) {
            fs = FileSystems.getFileSystem(uri);
        }
        try {
            work.run(fs.getPath(RESOURCE));
        } finally {
            if (opened) fs.close();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(from)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            Path target = to.resolve(from.relativize(p).toString());
            // plain copies: the model lands in a temporary folder renamed when complete, the configs come last
            if (Files.isDirectory(p)) Files.createDirectories(target);
            else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
