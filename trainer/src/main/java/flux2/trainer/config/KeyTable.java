package flux2.trainer.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys of one configuration file: those implemented here and those SimpleTuner accepts but this trainer does not.
 * Every integer key must have a lower and an upper bound, so that no value can overflow what reads it.
 */
public final class KeyTable {
    private final Map<String, KeyDef> keys = new LinkedHashMap<>();
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private final Set<String> unsupported;
    private final List<String> unsupportedPrefixes;

    public KeyTable(List<KeyDef> defs, Set<String> unsupported, List<String> unsupportedPrefixes) {
        for (KeyDef d : defs) {
            if (keys.put(d.name(), d) != null) throw new IllegalArgumentException("duplicate key " + d.name());
            if (d.kind() == KeyDef.Kind.INT && (d.min() == null || d.max() == null))
                throw new IllegalArgumentException("integer key " + d.name() + " needs a range (KeyDef.range)");
            if (d.alias() != null) aliases.put(d.alias(), d.name());
        }
        for (String u : unsupported)
            if (keys.containsKey(u)) throw new IllegalArgumentException("key both supported and unsupported: " + u);
        this.unsupported = Set.copyOf(unsupported);
        this.unsupportedPrefixes = List.copyOf(unsupportedPrefixes);
    }

    /** The definition of a key by its name or legacy alias, or null. */
    public KeyDef lookup(String name) {
        KeyDef d = keys.get(name);
        return d != null ? d : keys.get(aliases.getOrDefault(name, ""));
    }

    public boolean isUnsupported(String name) {
        if (unsupported.contains(name)) return true;
        for (String p : unsupportedPrefixes) if (name.startsWith(p)) return true;
        return false;
    }

    public Iterable<KeyDef> defs() {
        return keys.values();
    }

    /** The supported key nearest in spelling to {@code name}, or null when none is close. */
    public String suggest(String name) {
        String best = null;
        int bestDist = Math.max(2, name.length() / 4) + 1;
        for (String k : keys.keySet()) {
            int d = editDistance(name, k);
            if (d < bestDist) { bestDist = d; best = k; }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
