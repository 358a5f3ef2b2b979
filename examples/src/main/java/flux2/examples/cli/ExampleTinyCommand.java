package flux2.examples.cli;

import flux2.examples.TinyProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the embedded example (examples/tiny): the LoRA dataset, its configs, and the text encoder and tokenizer of the miniature FLUX.2. */
@Command(name = "tiny", mixinStandardHelpOptions = true,
        description = "Write the tiny example project (captioned 32x32 images of the new word \"zorblax\" (a purple star with a yellow "
                + "outline) and one of each ordinary colour/shape pair, config.json, multidatabackend.json, user_prompt_library.json, and "
                + "the miniature model's text encoder and tokenizer). The same "
                + "files on every run. The pretrained transformer and VAE are not generated here: 'example pretrain --out DIR/model' "
                + "trains them (examples/tiny holds the committed ones). Paths inside are relative to the working directory, as "
                + "SimpleTuner reads them: run the writer and the trainer from the same folder.")
public final class ExampleTinyCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "examples/tiny", description = "Folder to write (default ${DEFAULT-VALUE}); must be empty or absent unless --force.")
    Path out;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = "output/tiny", description = "The output_dir the config names (default ${DEFAULT-VALUE}); caches go to its cache/ folder.")
    Path outputDir;

    @Option(names = "--force", description = "Write over the files of an existing folder.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (ExampleFolders.refuses(out, force)) return 2;
        Path cfg = TinyProject.writeExample(out, outputDir);
        System.out.println("wrote " + out + "; train with: flux2-trainer train --config " + cfg);
        if (!Files.isDirectory(out.resolve("model/transformer")) || !Files.isDirectory(out.resolve("model/vae")))
            System.out.println("the pretrained transformer and VAE are missing: write them with: flux2-trainer example pretrain --out "
                    + out.resolve("model") + " (or copy examples/tiny/model/transformer and vae)");
        return 0;
    }
}
