package flux2.app;

import flux2.trainer.cache.Caches;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.TrainingData;
import flux2.trainer.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Unmatched;

/** Builds the VAE latent and text-embedding caches of a config without training. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "Build the VAE latent and text-embedding caches of a config.json, then stop. Entries already valid are kept.")
public final class CacheCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        TrainConfig c = options.load(overrides);
        if (c == null) return 2;
        long seed = c.seed() != null ? c.seed() : 0;
        TrainingData scanned = TrainingData.open(c, seed, System.out::println);
        Caches caches = Caches.of(c, scanned);
        caches.build(c, scanned, Trainer.textsBesideCaptions(c), System.out);
        System.out.println("caches complete: text " + caches.text().dir() + ", latents "
                + java.util.stream.Stream.concat(caches.latents().values().stream(), caches.references().values().stream())
                .map(l -> l.dir().toString()).distinct().toList());
        return 0;
    }
}
