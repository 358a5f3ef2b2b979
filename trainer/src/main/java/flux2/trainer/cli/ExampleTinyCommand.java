package flux2.trainer.cli;

import flux2.trainer.example.TinyProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the embedded example (examples/tiny): a miniature FLUX.2 model, a small dataset and its configs. */
@Command(name = "tiny", mixinStandardHelpOptions = true,
        description = "Write the tiny example project (miniature FLUX.2 model in the diffusers layouts, captioned images of the new word "
                + "'zorblax' (a purple star with a yellow outline) and a few ordinary shapes, "
                + "config.json, multidatabackend.json, user_prompt_library.json). The same files on every run. Paths inside "
                + "are relative to the working directory, as SimpleTuner reads them: run the writer and the trainer from the same folder.")
public final class ExampleTinyCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "examples/tiny", description = "Folder to write (default ${DEFAULT-VALUE}); must be empty or absent unless --force.")
    Path out;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = "output/tiny", description = "The output_dir the config names (default ${DEFAULT-VALUE}); caches go to its cache/ folder.")
    Path outputDir;

    @Option(names = "--force", description = "Write over the files of an existing folder.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (!force && Files.isDirectory(out) && !isEmpty(out)) {
            System.err.println("error: " + out + " is not empty; use --force to write over it");
            return 2;
        }
        Path cfg = TinyProject.writeExample(out, outputDir);
        System.out.println("wrote " + out + "; train with: flux2-trainer train --config " + cfg);
        return 0;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
