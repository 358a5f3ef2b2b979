package flux2.trainer.train;

import flux2.tensor.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws the training loss per step (and a running mean) as a PNG chart, written atomically. */
public final class LossCurve {
    private LossCurve() {}

    static final int W = 800, H = 400, PAD = 50;

    public static void write(List<Metrics.Line> lines, Path png) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.GRAY);
        g.drawRect(PAD, PAD / 2, W - PAD - PAD / 2, H - PAD - PAD / 2);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString("loss per step", PAD, PAD / 2 - 6);
        List<Metrics.Line> finite = lines.stream().filter(l -> Double.isFinite(l.loss())).toList();
        if (!finite.isEmpty()) {
            double lo = finite.stream().mapToDouble(Metrics.Line::loss).min().orElse(0);
            double hi = finite.stream().mapToDouble(Metrics.Line::loss).max().orElse(1);
            if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
            long s0 = finite.getFirst().step(), s1 = Math.max(s0 + 1, finite.getLast().step());
            g.drawString(String.format(Locale.ROOT, "%.4g", hi), 2, PAD / 2 + 10);
            g.drawString(String.format(Locale.ROOT, "%.4g", lo), 2, H - PAD);
            g.drawString("step " + s0, PAD, H - PAD / 2 + 14);
            g.drawString("step " + s1, W - PAD - 40, H - PAD / 2 + 14);
            draw(g, finite, lo, hi, s0, s1, false, new Color(120, 160, 220));
            draw(g, finite, lo, hi, s0, s1, true, new Color(200, 60, 40));
        }
        g.dispose();
        AtomicFiles.writeStream(png, o -> ImageIO.write(img, "png", o));
    }

    private static void draw(Graphics2D g, List<Metrics.Line> pts, double lo, double hi, long s0, long s1, boolean smooth, Color c) {
        Path2D path = new Path2D.Double();
        double ema = pts.getFirst().loss();
        for (int i = 0; i < pts.size(); i++) {
            ema = 0.9 * ema + 0.1 * pts.get(i).loss();
            double v = smooth ? ema : pts.get(i).loss();
            double x = PAD + (double) (pts.get(i).step() - s0) / (s1 - s0) * (W - 1.5 * PAD);
            double y = PAD / 2.0 + (hi - v) / (hi - lo) * (H - 1.5 * PAD);
            if (i == 0) path.moveTo(x, y);
            else path.lineTo(x, y);
        }
        g.setColor(c);
        g.setStroke(new BasicStroke(smooth ? 2f : 1f));
        g.draw(path);
    }
}
