package flux2.trainer.sample;

import java.util.Locale;

/** File names of sampled images: a slug of the prompt and the seed, so that a folder of samples sorts by prompt. */
public final class SampleNames {
    private SampleNames() {}

    /** Longest slug kept, so that long prompts still give short file names. */
    static final int MAX_SLUG = 60;

    /** Lower-case ASCII letters and digits of {@code prompt}, runs of anything else as one '-'; "prompt" when empty. */
    public static String slug(String prompt) {
        StringBuilder b = new StringBuilder();
        for (char ch : prompt.toLowerCase(Locale.ROOT).toCharArray()) {
            boolean keep = ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9';
            if (keep) b.append(ch);
            else if (!b.isEmpty() && b.charAt(b.length() - 1) != '-') b.append('-');
            if (b.length() >= MAX_SLUG) break;
        }
        while (!b.isEmpty() && b.charAt(b.length() - 1) == '-') b.setLength(b.length() - 1);
        return b.isEmpty() ? "prompt" : b.toString();
    }

    /** {@code <slug>_seed<N>.png}. */
    public static String png(String prompt, long seed) {
        return slug(prompt) + "_seed" + seed + ".png";
    }
}
