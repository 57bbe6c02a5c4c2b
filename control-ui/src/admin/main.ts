// The technician pages (admin.html, served at /admin): devices, command tester, audit log.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import '../shared/theme.css';
import './admin.css';
import App from './App.vue';

createApp(App).use(createPinia()).mount('#app');
