package flux2.examples.cli;

import flux2.examples.TinyEditProject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the edit example (examples/tiny-edit): reference/edit pairs, a conditioning dataset and its configs. */
@Command(name = "tiny-edit", mixinStandardHelpOptions = true,
        description = "Write the tiny edit example project (8 pairs of a coloured shape and the same shape recoloured blue, a "
                + "reference_strict conditioning dataset, config.json, multidatabackend.json, user_prompt_library.json with "
                + "reference images). It trains the model of the tiny example (--model). The same files on every run; paths "
                + "inside are relative to the working directory.")
public final class ExampleTinyEditCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "examples/tiny-edit", description = "Folder to write (default ${DEFAULT-VALUE}); must be empty or absent unless --force.")
    Path out;

    @Option(names = "--model", paramLabel = "DIR", defaultValue = "examples/tiny/model", description = "The model folder the config names (default ${DEFAULT-VALUE}).")
    Path model;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = "output/tiny-edit", description = "The output_dir the config names (default ${DEFAULT-VALUE}); caches go to its cache/ folder.")
    Path outputDir;

    @Option(names = "--force", description = "Write over the files of an existing folder.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (ExampleFolders.refuses(out, force)) return 2;
        Path cfg = TinyEditProject.writeExample(out, model, outputDir);
        System.out.println("wrote " + out + "; train with: flux2-trainer train --config " + cfg);
        return 0;
    }
}
