/*
 * modules.h - the one list of modules: each registers its configuration
 * kinds, event topics and HTTP routes here. Adding a module means adding
 * one call in modules.c.
 */
#ifndef SB_CORE_MODULES_H
#define SB_CORE_MODULES_H

int modules_register(void);

#endif
