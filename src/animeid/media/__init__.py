"""Reading pixels: images, video frames and borders."""
