export * from './names.ts';
export * from './action-proposed.ts';
export * from './outcomes.ts';
