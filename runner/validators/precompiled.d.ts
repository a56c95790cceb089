// precompiled.js exports one ajv validator per schema, named by compile.ts's exportName().
export {};
