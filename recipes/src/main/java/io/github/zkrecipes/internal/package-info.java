/**
 * Internals shared by the zk-recipes modules. <strong>Not for users:</strong> nothing here is a
 * stable API, and it may change in any release.
 */
package io.github.zkrecipes.internal;
