# SPDX-License-Identifier: MIT
dist_man_MANS += doc/nipc.1 doc/nipc-preload.7 doc/libnipc.3
