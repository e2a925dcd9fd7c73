# Assets taken from the build machine: the console font (assets/fonts/README says which, from
# where, under what licence, and why it is not committed). Included by the top Makefile before
# kernel/build.mk, which embeds it; user programs and the host tests read the same file.
#
#   FONT_NAME  the Debian console font, as named in /usr/share/consolefonts
#   FONT_PSF   that font decompressed: a PSF2 file (kernel/lib/psf.h)

FONT_NAME := Lat15-Terminus18x10
FONT_SYSTEM := /usr/share/consolefonts/$(FONT_NAME).psf.gz
FONT_PSF := $(BUILD)/assets/font.psf

# The system font is a prerequisite only once it exists (tools/deps.sh installs it), so a fresh
# machine gets the package first and a package upgrade rebuilds the font. A build directory whose
# dependency stamp predates the font still gets it: the recipe runs deps.sh when the file is missing.
$(FONT_PSF): $(wildcard $(FONT_SYSTEM)) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)[ -e $(FONT_SYSTEM) ] || tools/deps.sh
	$(Q)gzip -dc $(FONT_SYSTEM) > $@.tmp && mv $@.tmp $@

.PHONY: font
font: $(FONT_PSF)
