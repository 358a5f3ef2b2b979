package flux2.model.flux2.tread;

import java.util.ArrayList;
import java.util.List;

/**
 * TREAD token routing ({@code tread_config}): each route sends a random part of the image tokens around an
 * inclusive window of blocks. {@code selectionRatio} is the fraction of image tokens routed AROUND the window
 * (they skip it); the rest, K = S - round(S * ratio), run through it. (The FLUX.2 quick start words the ratio as
 * the fraction kept; the router and TREAD.md define it as the fraction skipped, which is what applies here.)
 * Block indices count over [double blocks..., single blocks...]; a negative index counts from the end.
 */
public record TreadConfig(List<Route> routes) {

    /** One routing window: {@code selection_ratio}, {@code start_layer_idx}, {@code end_layer_idx} (inclusive). */
    public record Route(double selectionRatio, int startLayerIdx, int endLayerIdx) {}

    /** A route with its window as non-negative block indices, start <= end. */
    public record Window(double selectionRatio, int start, int end) {}

    public TreadConfig {
        if (routes == null || routes.isEmpty()) throw new IllegalArgumentException("tread_config.routes: at least one route is required");
        routes = List.copyOf(routes);
    }

    /**
     * The windows for a model of {@code totalBlocks} blocks, in block order. Every problem (ratio outside
     * [0, 1), index out of range, start after end, overlapping windows) is reported in one exception naming the routes.
     */
    public List<Window> resolve(int totalBlocks) {
        List<String> problems = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            String name = "tread_config.routes[" + i + "]";
            int before = problems.size();
            if (!(r.selectionRatio() >= 0 && r.selectionRatio() < 1))
                problems.add(name + ": selection_ratio must be in [0, 1) (the fraction of image tokens routed around the window), got " + r.selectionRatio());
            int s = normalize(r.startLayerIdx(), totalBlocks), e = normalize(r.endLayerIdx(), totalBlocks);
            if (s < 0 || s >= totalBlocks)
                problems.add(name + ": start_layer_idx " + r.startLayerIdx() + " is outside the " + totalBlocks + " blocks (-" + totalBlocks + ".." + (totalBlocks - 1) + ")");
            if (e < 0 || e >= totalBlocks)
                problems.add(name + ": end_layer_idx " + r.endLayerIdx() + " is outside the " + totalBlocks + " blocks (-" + totalBlocks + ".." + (totalBlocks - 1) + ")");
            else if (s >= 0 && s < totalBlocks && s > e)
                problems.add(name + ": start_layer_idx " + r.startLayerIdx() + " (block " + s + ") comes after end_layer_idx " + r.endLayerIdx() + " (block " + e + ")");
            if (problems.size() == before) {
                windows.add(new Window(r.selectionRatio(), s, e));
                owners.add(i);
            }
        }
        for (int a = 0; a < windows.size(); a++)
            for (int b = a + 1; b < windows.size(); b++) {
                Window x = windows.get(a), y = windows.get(b);
                if (x.start() <= y.end() && y.start() <= x.end())
                    problems.add("tread_config.routes[" + owners.get(a) + "] (blocks " + x.start() + ".." + x.end() + ") overlaps tread_config.routes["
                            + owners.get(b) + "] (blocks " + y.start() + ".." + y.end() + ")");
            }
        if (!problems.isEmpty()) throw new IllegalArgumentException("invalid tread_config:\n  " + String.join("\n  ", problems));
        windows.sort((x, y) -> Integer.compare(x.start(), y.start()));
        return List.copyOf(windows);
    }

    private static int normalize(int idx, int total) { return idx < 0 ? total + idx : idx; }
}
