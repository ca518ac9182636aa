// Writes N photo-sized JPEGs (500×375, smooth random content: a 16×12 random grid scaled up
// bicubically) for scripts/bench-jvm.sh. Run as a single-file program: java WriteImages.java <dir> <n>
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Random;
import javax.imageio.ImageIO;

public final class WriteImages {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int count = Integer.parseInt(args[1]);
        dir.mkdirs();
        Random random = new Random(0);
        for (int i = 0; i < count; i++) {
            BufferedImage small = new BufferedImage(16, 12, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 12; y++) for (int x = 0; x < 16; x++) small.setRGB(x, y, random.nextInt(1 << 24));
            BufferedImage large = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
            var g = large.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(small, 0, 0, 500, 375, null);
            g.dispose();
            ImageIO.write(large, "jpg", new File(dir, String.format("img_%04d.jpg", i)));
        }
    }
}
