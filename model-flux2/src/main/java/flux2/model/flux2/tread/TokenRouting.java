package flux2.model.flux2.tread;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.model.flux2.Rope;
import java.util.List;

/**
 * The TREAD routes of one forward pass, applied at block boundaries: where a route's window starts, only the
 * kept image tokens (with their own RoPE rows) go on through the blocks and the others wait; after the window's
 * last block they rejoin unchanged, in their original order. Text tokens are never routed; a window may span
 * the double/single boundary (one selection for the whole window). Without a router every call changes nothing.
 */
public final class TokenRouting {
    private final TreadRouter router;
    private final List<TreadConfig.Window> windows;
    private final Rope textRope, imageRope;
    private final int imageTokens;
    // the open route: its selection, the tokens that skip it and the block after which they rejoin
    private TokenSelection route;
    private Var skipped;
    private int routeEnd = -1;
    private Rope imageNow, jointNow;

    /**
     * Routes for a model of {@code blocks} blocks (double, then single) over text and image tokens with these
     * rotary tables; {@code router} null routes nothing (validation and sampling).
     */
    public TokenRouting(TreadRouter router, int blocks, Rope textRope, Rope imageRope) {
        this.router = router;
        this.windows = router == null ? List.of() : router.windows(blocks);
        this.textRope = textRope;
        this.imageRope = imageRope;
        this.imageTokens = imageRope.cos().size(2);
        this.imageNow = imageRope;
    }

    /** Image tokens [B, S, D] entering {@code block}: the kept ones [B, K, D] when a window starts there. */
    public Var enter(int block, Var img) {
        TokenSelection sel = selectionAt(block, img.size(0));
        if (sel == null) return img;
        Var[] parts = sel.split(img);
        skipped = parts[1];
        return parts[0];
    }

    /** Image tokens leaving {@code block}: all S again, in their order, when the open window ends there. */
    public Var leave(int block, Var img) {
        if (!endsAt(block)) return img;
        Var all = route.restore(img, skipped);
        close();
        return all;
    }

    /** {@link #enter} for the single blocks' sequence [txt; img], whose first {@code textTokens} stay. */
    public Var enterJoint(int block, Var seq, int textTokens) {
        TokenSelection sel = selectionAt(block, seq.size(0));
        if (sel == null) return seq;
        Var[] parts = sel.split(seq.narrow(1, textTokens, imageTokens));
        skipped = parts[1];
        return F.concat(1, seq.narrow(1, 0, textTokens), parts[0]);
    }

    /** {@link #leave} for the single blocks' sequence [txt; img]. */
    public Var leaveJoint(int block, Var seq, int textTokens) {
        if (!endsAt(block)) return seq;
        Var all = F.concat(1, seq.narrow(1, 0, textTokens), route.restore(seq.narrow(1, textTokens, route.kept()), skipped));
        close();
        return all;
    }

    /** The rotary table of the image tokens in the stream now. */
    public Rope imageRope() { return imageNow; }

    /** The rotary table of [text; image tokens in the stream now]. */
    public Rope jointRope() {
        if (jointNow == null) jointNow = Rope.concat(textRope, imageNow);
        return jointNow;
    }

    /** The selection of a window starting at {@code block} (drawn now), or null. */
    private TokenSelection selectionAt(int block, int batch) {
        for (TreadConfig.Window w : windows) {
            if (w.start() != block) continue;
            TokenSelection sel = router.select(w, batch, imageTokens);
            if (sel == null) return null;
            route = sel;
            routeEnd = w.end();
            imageNow = sel.rope(imageRope);
            jointNow = null;
            return sel;
        }
        return null;
    }

    private boolean endsAt(int block) { return route != null && block == routeEnd; }

    private void close() {
        route = null;
        skipped = null;
        imageNow = imageRope;
        jointNow = null;
    }
}
