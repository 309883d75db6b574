export { taskSchema, type TaskDefinition, type TaskInput } from './task-schema.js';
export { parseTask, parseTaskText, loadTaskFile, isTaskFilePath, type LoadedTask } from './load-task.js';
export { taskToSuite, type TaskSuite, type TaskRunDefaults } from './task-suite.js';
export { answerEvaluator, answerMethod } from './task-answer.js';
