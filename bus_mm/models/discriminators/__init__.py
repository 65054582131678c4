from .patch_discriminator import PatchDiscriminator  # noqa: F401
